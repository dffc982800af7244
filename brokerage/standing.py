"""How a decision-matrix score's parts read (L1, L6): the part names and their raw figures in
words, for the shortlist (in `allocation`) and for the branch's standing after award (here, where
the offer page is). The matrix itself is `allocation.matrix`; brokerage only shows what it stored."""

from __future__ import annotations

from providers.models import CqcRating

PARTS = ("response_rate", "quality", "market_share", "start")
PART_NAMES = {
    "response_rate": "Response rate",
    "quality": "Quality",
    "market_share": "Market share",
    "start": "Start",
}


def part_figure(name: str, part: dict) -> str:
    """A part's raw figure in words: '75.0% of 4 offers', 'Good', '12.5 hours a week held',
    '3 days after the wanted date'."""
    value = part.get("value")
    if name == "response_rate":
        if value is None:
            return "No counted offers: the market median"
        return f"{value * 100:.1f}% of {part.get('counted', 0)} offers"
    if name == "quality":
        return CqcRating(value).label if value in CqcRating.values else str(value)
    if name == "market_share":
        return f"{value:g} hours a week held"
    if not value:
        return "On or before the wanted date"
    return f"{value} day{'s' if value != 1 else ''} after the wanted date"


def parts_shown(parts: dict | None) -> list[dict]:
    """Each part in order: key, name, figure, score, weight."""
    parts = parts or {}
    return [
        {
            "key": name,
            "name": PART_NAMES[name],
            "figure": part_figure(name, parts[name]),
            "score": parts[name]["score"],
            "weight": parts[name]["weight"],
        }
        for name in PARTS
        if name in parts
    ]


def standing_rows(standing: dict | None) -> list[dict]:
    """L6 on the offer page: each part, the branch's own beside the awarded offer's."""
    if not standing:
        return []
    own = {p["key"]: p for p in parts_shown(standing.get("parts"))}
    awarded = {p["key"]: p for p in parts_shown(standing["awarded"].get("parts"))}
    return [
        {"name": PART_NAMES[key], "own": own.get(key), "awarded": awarded.get(key)}
        for key in PARTS
        if key in own or key in awarded
    ]
