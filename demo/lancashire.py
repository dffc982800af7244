"""A Lancashire homecare market for the demo: the 12 districts with their wards, and ~110 providers
with branches and coverage, generated deterministically (random.Random(2026)).

Ward names are Lancashire's own (recent boundaries); the ward codes are ONS-shaped (E05 and six
digits) but made up: `E0509` + district number + ward number. Provider names, people and e-mail
addresses are invented; every address is under a reserved `.example` domain.

Long (~490 lines) because it is data: three quarters are the ward, town, postcode and name
tables written out in full; the dataclasses and the generator are the last 125 lines.
"""

from __future__ import annotations

import datetime
import random
import re
from dataclasses import dataclass, field
from functools import cache

SEED = 2026
PROVIDER_COUNT = 110
PDPS_START = datetime.date(2024, 4, 1)
ORIGINAL_COHORT = 72  # providers on the PDPS from the day it opened
LAST_JOIN = datetime.date(2026, 9, 30)

# District → its wards, in the order that numbers their codes.
WARDS: dict[str, list[str]] = {
    "Burnley": [
        "Bank Hall", "Briercliffe", "Brunshaw", "Cliviger with Worsthorne",
        "Coal Clough with Deerplay", "Daneshouse with Stoneyholme", "Gannow", "Gawthorpe",
        "Hapton with Park", "Lanehead", "Queensgate", "Rosegrove with Lowerhouse",
        "Rosehill with Burnley Wood", "Trinity", "Whittlefield with Ightenhill",
    ],
    "Chorley": [
        "Adlington & Anderton", "Buckshaw & Whittle", "Chorley East", "Chorley North & Astley",
        "Chorley North East", "Chorley North West", "Chorley South East & Heath Charnock",
        "Chorley South West", "Clayton East, Brindle & Hoghton", "Clayton West & Cuerden",
        "Coppull", "Croston, Mawdesley & Euxton South", "Eccleston, Heskin & Charnock Richard",
        "Euxton", "Wheelton & Withnell",
    ],
    "Fylde": [
        "Ansdell", "Central", "Clifton", "Elswick & Little Eccleston", "Fairhaven",
        "Freckleton East", "Freckleton West", "Heyhouses", "Kilnhouse", "Kirkham",
        "Medlar-with-Wesham", "Newton & Treales", "Park", "Ribby-with-Wrea", "St Johns",
        "St Leonards", "Staining & Weeton", "Warton & Westby",
    ],
    "Hyndburn": [
        "Altham", "Barnfield", "Baxenden", "Central", "Church", "Clayton-le-Moors", "Huncoat",
        "Immanuel", "Milnshaw", "Netherton", "Overton", "Peel", "Rishton", "St Andrew's",
        "St Oswald's", "Spring Hill",
    ],
    "Lancaster": [
        "Bare", "Bolton & Slyne", "Bulk", "Carnforth & Millhead", "Castle", "Ellel",
        "Halton-with-Aughton & Kellet", "Harbour", "Heysham Central", "Heysham North",
        "Heysham South", "John O'Gaunt", "Kellet", "Lower Lune Valley", "Marsh", "Overton",
        "Poulton", "Scotforth East", "Scotforth West", "Silverdale", "Skerton East",
        "Skerton West", "Torrisholme", "University & Scotforth Rural", "Upper Lune Valley",
        "Warton", "Westgate",
    ],
    "Pendle": [
        "Barnoldswick", "Barrowford & Pendleside", "Boulsworth & Foulridge", "Bradley",
        "Brierfield East & Clover Hill", "Brierfield West & Reedley", "Earby & Coates",
        "Fence & Higham", "Marsden & Southfield", "Vivary Bridge", "Waterside & Horsfield",
        "Whitefield & Walverden",
    ],
    "Preston": [
        "Ashton", "Brookfield", "Cadley", "City Centre", "Deepdale", "Fishwick & Frenchwood",
        "Garrison", "Greyfriars", "Ingol & Cottam", "Lea & Larches", "Plungington",
        "Preston Rural East", "Preston Rural North", "Ribbleton", "St Matthew's", "Sharoe Green",
    ],
    "Ribble Valley": [
        "Alston & Hothersall", "Billington & Langho", "Bowland", "Brockhall & Dinckley",
        "Chatburn", "Chipping", "Clayton-le-Dale & Salesbury", "Derby & Thornley",
        "Edisford & Low Moor", "Gisburn & Rimington", "Hurst Green & Whitewell", "Littlemoor",
        "Mellor", "Primrose", "Read & Simonstone", "Ribchester", "Sabden", "St Mary's",
        "Salthill", "Waddington, Bashall & Mitton", "West Bradford & Grindleton",
        "Whalley Nethertown", "Whalley & Painter Wood", "Wilpshire & Ramsgreave",
        "Wiswell & Barrow",
    ],
    "Rossendale": [
        "Cribden", "Eden", "Facit & Shawforth", "Goodshaw", "Greenfield", "Greensclough",
        "Hareholme", "Healey & Whitworth", "Helmshore", "Irwell", "Longholme", "Stacksteads",
        "Whitewell", "Worsley",
    ],
    "South Ribble": [
        "Bamber Bridge East", "Bamber Bridge West", "Broad Oak", "Buckshaw & Worden", "Charnock",
        "Coupe Green & Gregson Lane", "Earnshaw Bridge", "Farington East", "Farington West",
        "Hoole", "Howick & Priory", "Leyland Central", "Longton & Hutton West", "Lostock Hall",
        "Middleforth", "Moss Side", "New Longton & Hutton East", "St Ambrose",
        "Samlesbury & Walton", "Seven Stars", "Walton-le-Dale East", "Walton-le-Dale West",
    ],
    "West Lancashire": [
        "Aughton & Holborn", "Burscough Bridge & Rufford", "Burscough Town",
        "North Meols & Hesketh Bank", "Ormskirk East", "Ormskirk West", "Parbold & Newburgh",
        "Rural North East", "Rural South", "Rural West", "Skelmersdale North",
        "Skelmersdale South", "Tanhouse & Skelmersdale Town Centre", "Up Holland",
    ],
    "Wyre": [
        "Bourne", "Breck", "Brock with Catterall", "Calder", "Carleton", "Cleveleys Park",
        "Garstang", "Great Eccleston", "Hambleton & Stalmine", "Highcross", "Jubilee",
        "Marsh Mill", "Mount", "Park", "Pharos", "Pilling", "Preesall", "Rossall", "Stanah",
        "Tithebarn", "Victoria & Norcross", "Warren", "Wyresdale",
    ],
}  # fmt: skip

DISTRICTS = list(WARDS)

# Districts that share a boundary: a branch sometimes reaches over into one of these.
NEIGHBOURS: dict[str, list[str]] = {
    "Burnley": ["Pendle", "Hyndburn", "Rossendale", "Ribble Valley"],
    "Chorley": ["South Ribble", "West Lancashire"],
    "Fylde": ["Preston", "Wyre"],
    "Hyndburn": ["Burnley", "Rossendale", "Ribble Valley"],
    "Lancaster": ["Wyre", "Ribble Valley"],
    "Pendle": ["Burnley", "Ribble Valley"],
    "Preston": ["South Ribble", "Fylde", "Wyre", "Ribble Valley"],
    "Ribble Valley": ["Preston", "Pendle", "Burnley", "Hyndburn", "Lancaster", "Wyre"],
    "Rossendale": ["Hyndburn", "Burnley"],
    "South Ribble": ["Preston", "Chorley", "West Lancashire"],
    "West Lancashire": ["Chorley", "South Ribble"],
    "Wyre": ["Fylde", "Lancaster", "Preston"],
}

# Towns a branch office may be in, and how much of the county's homecare each district draws.
TOWNS: dict[str, list[str]] = {
    "Burnley": ["Burnley", "Padiham"],
    "Chorley": ["Chorley", "Adlington", "Euxton"],
    "Fylde": ["Lytham St Annes", "Kirkham", "Freckleton"],
    "Hyndburn": ["Accrington", "Oswaldtwistle", "Great Harwood"],
    "Lancaster": ["Lancaster", "Morecambe", "Carnforth", "Heysham"],
    "Pendle": ["Nelson", "Colne", "Barnoldswick"],
    "Preston": ["Preston", "Fulwood", "Ribbleton"],
    "Ribble Valley": ["Clitheroe", "Longridge", "Whalley"],
    "Rossendale": ["Rawtenstall", "Bacup", "Haslingden"],
    "South Ribble": ["Leyland", "Penwortham", "Bamber Bridge"],
    "West Lancashire": ["Ormskirk", "Skelmersdale", "Burscough"],
    "Wyre": ["Fleetwood", "Thornton-Cleveleys", "Poulton-le-Fylde", "Garstang"],
}
# Postcode districts (outward codes) that serve each district, for packages' `postcode` (A3).
POSTCODE_DISTRICTS: dict[str, list[str]] = {
    "Burnley": ["BB10", "BB11", "BB12"],
    "Chorley": ["PR6", "PR7"],
    "Fylde": ["FY8", "PR4"],
    "Hyndburn": ["BB1", "BB5", "BB6"],
    "Lancaster": ["LA1", "LA2", "LA3", "LA4", "LA5"],
    "Pendle": ["BB8", "BB9", "BB18"],
    "Preston": ["PR1", "PR2", "PR3"],
    "Ribble Valley": ["BB7", "PR3"],
    "Rossendale": ["BB4", "OL12", "OL13"],
    "South Ribble": ["PR5", "PR25", "PR26"],
    "West Lancashire": ["L39", "L40", "WN8"],
    "Wyre": ["FY5", "FY6", "FY7", "PR3"],
}
DISTRICT_WEIGHTS = {
    "Burnley": 9, "Chorley": 9, "Fylde": 7, "Hyndburn": 7, "Lancaster": 12, "Pendle": 7,
    "Preston": 14, "Ribble Valley": 4, "Rossendale": 5, "South Ribble": 9,
    "West Lancashire": 8, "Wyre": 9,
}  # fmt: skip

NAME_STEMS = [
    "Amber",
    "Bluebell",
    "Heather",
    "Pennine",
    "Ribble",
    "Lune Valley",
    "Willow",
    "Rosewood",
    "Bowland",
    "Red Rose",
    "Oakwood",
    "Meadowside",
    "Harbour",
    "Kingfisher",
    "Evergreen",
    "Brightside",
    "Caring Hands",
    "Kindred",
    "Comfort Zone",
    "Hillside",
    "Moorland",
    "Riverside",
    "Cornerstone",
    "Beacon",
    "Lighthouse",
    "Primrose",
    "Hawthorn",
    "Foxglove",
    "Ivy House",
    "Thistle",
    "Larkspur",
    "Juniper",
    "Maple Leaf",
    "Cedar",
    "Birchwood",
    "Elm Tree",
    "Sycamore",
    "Orchard",
    "Greenacre",
    "Arnside",
    "Wyre Coast",
    "Fylde Coast",
    "Pendle Hill",
    "Irwell",
    "Calder Valley",
    "Hodder",
    "Heritage",
    "Compass",
    "Anchor",
    "Guardian",
    "Trinity",
    "Sunrise",
    "Horizon",
    "Northern Star",
    "Westfield",
    "Eastgate",
    "Highfield",
    "Parkside",
    "Abbey",
    "Castle View",
    "Hollybank",
    "Clover",
    "Daisy Chain",
    "Forget-Me-Not",
    "Serenity",
    "Tranquil",
    "Reliance",
    "Dignity First",
    "Together",
    "Home Comforts",
    "Hearthside",
    "Kinship",
    "Haven",
    "Sanctuary",
    "Lotus",
    "Acorn",
    "Bramble",
    "Swallow",
    "Skylark",
    "Nightingale",
    "Wren",
    "Heron",
    "Otter",
    "Badger Brook",
    "Marigold",
    "Lavender",
    "Bay Tree",
    "Silver Birch",
    "Golden Years",
    "Sunflower",
    "Rainbow",
    "Harmony",
    "Unity",
    "Integrity",
    "Kind Hearts",
    "Gentle Touch",
    "First Light",
    "Morning Star",
    "Evening Glow",
    "Coastline",
    "Promenade",
    "Millstone",
    "Weavers",
    "Cotton Town",
    "Mill Lane",
    "Canal Side",
    "Towpath",
    "Viaduct",
    "Market Cross",
    "Church View",
    "Old School",
    "Bridgewater",
    "Forton",
    "Nateby",
    "Wrea Green",
    "Tarnbrook",
    "Dunsop",
    "Whitewell Vale",
    "Longridge Fell",
    "Beacon Fell",
    "Jubilee Tower",
]
NAME_ENDINGS = [
    "Homecare Ltd", "Home Care Ltd", "Care Services Ltd", "Care at Home Ltd",
    "Domiciliary Care Ltd", "Healthcare Ltd", "Care Ltd", "Support Services Ltd",
    "Homecare Services", "Care Agency Ltd", "Community Care CIC", "Homecare",
]  # fmt: skip
FIRST_NAMES = [
    "Sarah",
    "Joanne",
    "Helen",
    "Karen",
    "Michelle",
    "Claire",
    "Rachel",
    "Lisa",
    "Nicola",
    "Amanda",
    "Emma",
    "Gemma",
    "Louise",
    "Deborah",
    "Julie",
    "Andrew",
    "Mark",
    "David",
    "Paul",
    "James",
    "Stephen",
    "Imran",
    "Aisha",
    "Farhana",
    "Mohammed",
    "Priya",
    "Tahir",
    "Sian",
    "Kerry",
    "Carol",
    "Janet",
    "Gillian",
    "Tracey",
    "Peter",
    "Gareth",
    "Neil",
]
LAST_NAMES = [
    "Hargreaves",
    "Whittaker",
    "Ashworth",
    "Holden",
    "Pilling",
    "Fielding",
    "Duckworth",
    "Haworth",
    "Greenwood",
    "Sutcliffe",
    "Entwistle",
    "Crossley",
    "Birtwistle",
    "Barnes",
    "Wilkinson",
    "Thompson",
    "Robinson",
    "Walsh",
    "Kelly",
    "Hussain",
    "Patel",
    "Khan",
    "Ahmed",
    "Cowell",
    "Nuttall",
    "Riley",
    "Parkinson",
    "Ormerod",
    "Marsden",
    "Brindle",
    "Eccles",
    "Halstead",
    "Hindle",
    "Lord",
    "Taylor",
    "Jackson",
]
SUSPENDED = 6
LEFT = 4


@dataclass(frozen=True)
class DemoWard:
    code: str
    name: str
    district: str


@dataclass
class DemoBranch:
    ref: str
    name: str
    district: str
    notification_email: str
    wards: list[str] = field(default_factory=list)  # ward codes


@dataclass
class DemoProvider:
    ref: str
    name: str
    cqc_rating: str
    joined_on: datetime.date
    senior_manager_name: str
    senior_manager_email: str
    pdps_status: str = "active"
    branches: list[DemoBranch] = field(default_factory=list)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


@cache
def wards() -> list[DemoWard]:
    """Every demo ward, district by district."""
    return [
        DemoWard(f"E0509{d:02d}{w:02d}", name, district)
        for d, (district, names) in enumerate(WARDS.items(), start=1)
        for w, name in enumerate(names, start=1)
    ]


def _ward_codes_by_district() -> dict[str, list[str]]:
    codes: dict[str, list[str]] = {}
    for ward in wards():
        codes.setdefault(ward.district, []).append(ward.code)
    return codes


def _join_dates(rng: random.Random) -> list[datetime.date]:
    span = (LAST_JOIN - PDPS_START).days - 91
    later = sorted(
        PDPS_START + datetime.timedelta(days=91 + rng.randrange(span))
        for _ in range(PROVIDER_COUNT - ORIGINAL_COHORT)
    )
    return [PDPS_START] * ORIGINAL_COHORT + later


def _branch_districts(rng: random.Random, count: int) -> list[str]:
    """`count` different districts: the head office's, then mostly neighbouring ones."""
    home = rng.choices(DISTRICTS, weights=[DISTRICT_WEIGHTS[d] for d in DISTRICTS])[0]
    chosen = [home]
    while len(chosen) < count:
        near = [d for c in chosen for d in NEIGHBOURS[c] if d not in chosen]
        pool = near if near and rng.random() < 0.8 else [d for d in DISTRICTS if d not in chosen]
        chosen.append(rng.choice(pool))
    return chosen


def _coverage(rng: random.Random, district: str, codes: dict[str, list[str]]) -> list[str]:
    """Most of the branch's own district and, for some, a slice of a neighbouring one."""
    own = codes[district]
    covered = rng.sample(own, max(2, round(len(own) * rng.uniform(0.35, 0.95))))
    if rng.random() < 0.45:
        nearby = codes[rng.choice(NEIGHBOURS[district])]
        covered += rng.sample(nearby, max(1, round(len(nearby) * rng.uniform(0.1, 0.45))))
    return sorted(covered)


@cache
def market() -> list[DemoProvider]:
    """The ~110 providers, in reference order (which is the order they joined the PDPS)."""
    rng = random.Random(SEED)
    codes = _ward_codes_by_district()
    stems = rng.sample(NAME_STEMS, PROVIDER_COUNT)
    dates = _join_dates(rng)
    providers = []
    for n, (stem, joined) in enumerate(zip(stems, dates, strict=True), start=1):
        ending = rng.choice(NAME_ENDINGS)
        domain = f"{_slug(stem)}{'homecare' if 'Home' in ending else 'care'}.example"
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        rating = rng.choices(["good", "outstanding"], weights=[82, 18])[0]
        provider = DemoProvider(
            ref=f"HC{n:03d}",
            name=f"{stem} {ending}",
            cqc_rating=rating,
            joined_on=joined,
            senior_manager_name=f"{first} {last}",
            senior_manager_email=f"{_slug(first)}.{_slug(last)}@{domain}",
        )
        count = rng.choices([1, 2, 3, 4], weights=[45, 32, 16, 7])[0]
        for k, district in enumerate(_branch_districts(rng, count), start=1):
            town = rng.choice(TOWNS[district])
            provider.branches.append(
                DemoBranch(
                    ref=f"{provider.ref}-{k}",
                    name=town,
                    district=district,
                    notification_email=f"{_slug(town)}.referrals@{domain}",
                    wards=_coverage(rng, district, codes),
                )
            )
        providers.append(provider)
    # The first provider stays active: the demo's provider users belong to it.
    changed = rng.sample(range(1, PROVIDER_COUNT), SUSPENDED + LEFT)
    for index in changed[:SUSPENDED]:
        providers[index].pdps_status = "suspended"
        providers[index].cqc_rating = "requires_improvement"
    for index in changed[SUSPENDED:]:
        providers[index].pdps_status = "left"
    return providers
