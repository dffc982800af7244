"""K12 market gaps: for one quarter, the offers sent and the decline reasons given, counted by
district, ward or service level, with the share of packages that got no Offer Made, so
commissioners see where and why the market cannot cover. The one read behind the dashboard's
chart, table and CSV and `GET /kpi/decline-reasons/`.

Offers are counted by the quarter of their `sent_at` (Europe/London), as K1 counts them; a decline
is an Unable to Accept (the P12 automatic "no capacity" answer among them); a package counts in
the quarter it was offered in, and got no Offer Made when none of its offers sent in that quarter
is one (still open, expired, declined, withdrawn alike). Read from the packages' kept gap counts
(`brokerage.models.GapCount`, moved with every offer written): one grouped query whatever the volume.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from brokerage.models import DeclineReason, GapCount, ServiceLevel
from core.errors import InvalidInput

from .quarters import Quarter

# `by`: what each grouping is called in the API, and the package's field behind it.
GAP_KEYS = {
    "district": "ward__district",
    "ward": "ward__code",
    "service_level": "service_level",
}
GAP_LABELS = {"district": "District", "ward": "Ward", "service_level": "Service level"}


@dataclass
class GapRow:
    key: str  # the district's name, the ward's code or the service level's code
    label: str  # as people read it: the ward's name, the service level's words
    offers: int = 0
    declined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # decline reason code -> offers
    packages: int = 0
    no_offer_made: int = 0

    @property
    def no_offer_made_share(self) -> float | None:
        """Packages offered in the quarter that got no Offer Made ÷ packages offered in it."""
        return self.no_offer_made / self.packages if self.packages else None

    @property
    def reason_words(self) -> list[tuple[str, int]]:
        """The reasons given, in words, with their counts: [("No capacity", 2), ...]."""
        words = dict(DeclineReason.choices)
        return [(words.get(code, code), n) for code, n in self.reasons.items() if n]

    def as_dict(self) -> dict:
        """As API.md gives it; `reasons` names only the reasons given (a code absent is 0)."""
        share = self.no_offer_made_share
        return {
            "key": self.key,
            "label": self.label,
            "offers": self.offers,
            "declined": self.declined,
            "reasons": {code: n for code, n in self.reasons.items() if n},
            "packages": self.packages,
            "no_offer_made": self.no_offer_made,
            "no_offer_made_share": None if share is None else round(share, 4),
        }


def parse_gap_query(quarter: str | None, by: str | None) -> tuple[Quarter, str]:
    """`?quarter=2026-27-Q1&by=ward` -> (Quarter, "ward"); `by` defaults to district. Raises
    InvalidInput naming each bad parameter and what would do."""
    errors: dict[str, list[str]] = {}
    parsed = None
    if not quarter:
        errors["quarter"] = ["Give a financial quarter such as ?quarter=2026-27-Q1."]
    else:
        try:
            parsed = Quarter.parse(quarter)
        except ValueError as exc:
            errors["quarter"] = [str(exc)]
    by = by or "district"
    if by not in GAP_KEYS:
        errors["by"] = [f"'{by}' is not a grouping: give by=district, ward or service_level."]
    if errors:
        raise InvalidInput(errors)
    return parsed, by


def market_gaps(quarter: Quarter, by: str) -> list[GapRow]:
    """One row per district, ward or service level (`by`) with offers or packages offered in
    `quarter`, by label. One grouped read of the packages' kept gap counts for the quarter
    (`GapCount`, issue 13): a row per package offered, never the offers, joined to the wards
    alone (each row carries its package's ward and service level)."""
    key = GAP_KEYS[by]
    label = ["ward__name"] if by == "ward" else []
    sums = {name: Sum(name) for name in ("offers", "declined", *GapCount.REASON_COLUMNS)}
    grouped = (
        GapCount.objects.filter(start=quarter.start_date, offers__gt=0)
        .order_by()
        .values(key, *label)
        .annotate(
            **sums,
            packages=Count("id"),
            no_offer_made=Count("id", filter=Q(made=0)),
        )
    )
    rows: dict[str, GapRow] = {}
    for row in grouped:
        gap = _row(rows, by, row[key], row.get("ward__name"))
        gap.offers, gap.declined = row["offers"], row["declined"]
        gap.reasons = {code: row[f"declined_{code}"] for code in DeclineReason.values}
        gap.packages, gap.no_offer_made = row["packages"], row["no_offer_made"]
    return sorted(rows.values(), key=lambda r: (r.label.lower(), r.key))


def _row(rows: dict[str, GapRow], by: str, key: str, ward_name: str | None) -> GapRow:
    if key not in rows:
        if by == "service_level":
            label = ServiceLevel(key).label if key in ServiceLevel.values else key
        else:
            label = ward_name or key
        rows[key] = GapRow(key=key, label=label)
    return rows[key]


def gap_totals(rows: list[GapRow]) -> GapRow:
    """The quarter's whole market: each package and offer is in exactly one row."""
    total = GapRow(key="", label="All")
    for row in rows:
        total.offers += row.offers
        total.declined += row.declined
        total.packages += row.packages
        total.no_offer_made += row.no_offer_made
        for code, n in row.reasons.items():
            total.reasons[code] = total.reasons.get(code, 0) + n
    return total


def decline_reasons_payload(quarter: Quarter, by: str) -> dict:
    """`GET /kpi/decline-reasons/` (K12): the rows, and the quarter and grouping they are for."""
    rows = market_gaps(quarter, by)
    return {
        "quarter": str(quarter),
        "by": by,
        "results": [r.as_dict() for r in rows],
        "total": gap_totals(rows).as_dict(),
    }


GAPS_HEADER = [
    "quarter",
    "by",
    "key",
    "label",
    "offers",
    "declined",
    *(f"declined_{code}" for code in DeclineReason.values),
    "packages",
    "no_offer_made",
    "no_offer_made_share",
]


def gap_csv_rows(quarter: Quarter, by: str, rows: list[GapRow]) -> list[list]:
    """The rows under GAPS_HEADER, every reason a column (0 where none), then the total."""
    out = []
    for row in [*rows, gap_totals(rows)]:
        share = row.no_offer_made_share
        out.append(
            [
                str(quarter),
                by,
                row.key,
                row.label,
                row.offers,
                row.declined,
                *(row.reasons.get(code, 0) for code in DeclineReason.values),
                row.packages,
                row.no_offer_made,
                "" if share is None else f"{share:.4f}",
            ]
        )
    return out
