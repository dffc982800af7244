"""Ward health (W5): how well each ward is served, read with grouped database aggregates, never a
Python loop over offers. The ward and district figures over a period sum the kept day counts
(`WardDayCount`: each package's offers of a day, kept with K1's counts, issue 13), one row per
package and day offered rather than every offer; a ward's branches and the cleanse candidates
count that ward's or that pair's offers themselves.

For each ward: the branches covering it now, the offers sent over a period, and the response and
offer rates; wards covered by no branch or one; and the cleanse candidates, the branch-ward pairs
still in force whose branch almost never makes an offer there (offer rate under 5% over at least
20 offers). Rates count the offers K1 counts (answered or No Response, never one left out after
an upheld challenge, K10): an offer still open, or closed before the branch could answer, is not
held against it, nor a No Response the council accepted was not the branch's fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone

from wards.models import Coverage, Ward

from .counts import ward_offer_counts
from .models import Offer, WardDayCount

DEFAULT_DAYS = 90
CLEANSE_MAX_OFFER_RATE = 0.05
CLEANSE_MIN_OFFERS = 20

# Columns of the ward table a person may sort by (`?sort=` name, `-name` for descending).
SORTS = {
    "ward": "name",
    "district": "district",
    "branches": "branches",
    "sent": "sent",
    "counted": "counted",
    "response_rate": "response_rate",
    "offer_rate": "offer_rate",
}


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both whole local days (Europe/London) and both included."""

    start: date
    end: date

    @classmethod
    def default(cls, today: date | None = None) -> Period:
        today = today or timezone.localdate()
        return cls(today - timedelta(days=DEFAULT_DAYS - 1), today)

    @classmethod
    def parse(cls, start: str | None, end: str | None, today: date | None = None) -> Period:
        """ISO dates from the page or API; either may be left out. ValueError with a plain message
        for a date that is not a date, or a start after the end."""
        default = cls.default(today)
        try:
            first = date.fromisoformat(start) if start else default.start
            last = date.fromisoformat(end) if end else default.end
        except ValueError:
            raise ValueError("Enter dates like 2026-03-31") from None
        if first > last:
            raise ValueError("The start date must be on or before the end date")
        return cls(first, last)

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


def _rate(part: str, whole: str):
    return Cast(part, FloatField()) / NullIf(Cast(whole, FloatField()), Value(0.0))


def _offers_in(period: Period) -> QuerySet[Offer]:
    """The offers sent in the period: the range is in the WHERE clause (and so can use the
    sent_at index), not only in each COUNT's FILTER, so no other period's offers are read."""
    return Offer.objects.filter(sent_at__gte=period.start_at, sent_at__lt=period.end_at)


def _days_in(period: Period) -> QuerySet[WardDayCount]:
    """The kept day counts of the period's days."""
    return WardDayCount.objects.filter(day__gte=period.start, day__lte=period.end)


def _kept_sums(prefix: str = "") -> dict:
    """sent, counted, responded and made summed from the kept day counts reached through
    `prefix` (0 where there are none): what `ward_offer_counts` counts from the offers."""
    return {name: Coalesce(Sum(f"{prefix}{name}"), Value(0)) for name in WardDayCount.COLUMNS}


def _with_rates(queryset: QuerySet) -> QuerySet:
    """Adds `response_rate` and `offer_rate` (fractions), and the same as percentages for pages."""
    return queryset.annotate(
        response_rate=_rate("responded", "counted"), offer_rate=_rate("made", "counted")
    ).annotate(response_pct=F("response_rate") * 100.0, offer_pct=F("offer_rate") * 100.0)


def _branches_covering() -> Subquery:
    covering = (
        Coverage.objects.in_force()
        .filter(ward=OuterRef("pk"))
        .order_by()
        .values("ward")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(covering, output_field=IntegerField()), Value(0))


def wards_kept(*, q: str = "", district: str = "", cover: str = "") -> QuerySet[Ward]:
    """The wards the page's filters keep, each with `branches` (covering now), no offer read:
    what the page counts for its pager and, sorted by a column no offer is in, cuts its page from.

    `cover` "none" or "one" keeps the wards covered by that many branches; "thin" by at most one."""
    wards = Ward.objects.annotate(branches=_branches_covering())
    if q:
        wards = wards.filter(Q(name__icontains=q) | Q(code__iexact=q))
    if district:
        wards = wards.filter(district=district)
    if cover in {"none", "one", "thin"}:
        wards = wards.filter(
            **{"none": {"branches": 0}, "one": {"branches": 1}, "thin": {"branches__lte": 1}}[cover]
        )
    return wards


def _ordered(wards: QuerySet[Ward], sort: str) -> QuerySet[Ward]:
    field = SORTS.get(sort.lstrip("-"), "name")
    descending = sort.startswith("-")
    order = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    return wards.order_by(order, "name", "code")


def ward_health(
    period: Period,
    *,
    sort: str = "ward",
    q: str = "",
    district: str = "",
    cover: str = "",
) -> QuerySet[Ward]:
    """Every ward with `branches` (covering now), `sent`, `counted`, `responded`, `made`,
    `response_rate` and `offer_rate` (None without counted offers) over `period`: one query.

    The filters are `wards_kept`'s. `sort` is a SORTS key, `-` first for descending; rates sort
    with the empty ones last."""
    wards = wards_kept(q=q, district=district, cover=cover)
    # Each ward's day counts joined with the period in the JOIN's ON clause: a ward without
    # offers in the period keeps its row (LEFT JOIN), and only the period's days are read.
    wards = wards.alias(
        period_days=FilteredRelation(
            "day_counts",
            condition=Q(day_counts__day__gte=period.start, day_counts__day__lte=period.end),
        )
    )
    return _ordered(_with_rates(wards.annotate(**_kept_sums("period_days__"))), sort)


# The columns a ward's offers are not in: sorted by one of them, a page of wards is cut before any
# offer is read (issue 13: at 2M offers the page read every ward's offers of the period to show 100).
FIELDS_WITHOUT_OFFERS = frozenset({"name", "district", "branches"})


def wards_sorted_without_offers(
    sort: str, *, q: str = "", district: str = "", cover: str = ""
) -> QuerySet[Ward] | None:
    """`ward_health`'s wards in its order, without their offers' counts, when `sort` needs none
    (`with_offer_counts` then adds them to a page); None when it does."""
    if SORTS.get(sort.lstrip("-"), "name") not in FIELDS_WITHOUT_OFFERS:
        return None
    return _ordered(wards_kept(q=q, district=district, cover=cover), sort)


def with_offer_counts(wards: list[Ward], period: Period) -> list[Ward]:
    """Give each of a page's wards what `ward_health` annotates (`sent`, `counted`, `responded`,
    `made`, the rates and percentages) from one grouped query over those wards' kept day counts
    in the period, the same counts and the same SQL rates."""
    counts = {
        row["ward_id"]: row
        for row in _with_rates(
            _days_in(period)
            .filter(ward_id__in=[w.pk for w in wards])
            .values("ward_id")
            .annotate(**_kept_sums())
            .order_by()
        )
    }
    empty = {"sent": 0, "counted": 0, "responded": 0, "made": 0}
    empty |= dict.fromkeys(("response_rate", "offer_rate", "response_pct", "offer_pct"))
    for ward in wards:
        for name, value in counts.get(ward.pk, empty).items():
            if name != "ward_id":
                setattr(ward, name, value)
    return wards


def ward_branches(ward: Ward, period: Period) -> list[dict]:
    """The branches covering `ward` now, each with its offers and rates in that ward over the
    period (two queries: the coverage, and the offers grouped by branch)."""
    coverage = list(
        Coverage.objects.in_force()
        .filter(ward=ward)
        .select_related("branch__provider")
        .order_by("branch__provider__name", "branch__name")
    )
    counts = {
        row["branch_id"]: row
        for row in _with_rates(
            _offers_in(period)
            .filter(package__ward=ward, branch__in=[c.branch_id for c in coverage])
            .values("branch_id")
            .annotate(**ward_offer_counts())
        )
    }
    empty = {"sent": 0, "counted": 0, "responded": 0, "made": 0}
    empty |= dict.fromkeys(("response_rate", "offer_rate", "response_pct", "offer_pct"))
    return [{"coverage": c, "branch": c.branch, **counts.get(c.branch_id, empty)} for c in coverage]


def cleanse_candidates(period: Period, *, district: str = "") -> QuerySet:
    """Branch-ward pairs in force whose offer rate in the ward is under 5% over at least 20
    counted offers in the period (W5): one grouped query, lowest rate first."""
    in_force = Coverage.objects.in_force().filter(
        branch_id=OuterRef("branch_id"), ward_id=OuterRef("package__ward_id")
    )
    offers = _offers_in(period).filter(Exists(in_force))
    if district:
        offers = offers.filter(package__ward__district=district)
    pairs = (
        offers.values(
            "branch_id",
            provider_ref=F("branch__provider__ref"),
            provider_name=F("branch__provider__name"),
            branch_ref=F("branch__ref"),
            branch_name=F("branch__name"),
            ward_code=F("package__ward__code"),
            ward_name=F("package__ward__name"),
            district=F("package__ward__district"),
        )
        .annotate(**ward_offer_counts())
        .filter(counted__gte=CLEANSE_MIN_OFFERS)
    )
    return (
        _with_rates(pairs)
        .filter(offer_rate__lt=CLEANSE_MAX_OFFER_RATE)
        .order_by("offer_rate", "-counted", "provider_name", "branch_name", "ward_code")
    )


def district_health(period: Period) -> list[dict]:
    """Per district: wards, wards covered by no branch and by one, offers sent and counted, and
    the response and offer rates (two grouped queries)."""
    wards = (
        Ward.objects.annotate(branches=_branches_covering())
        .values("district")
        .annotate(
            wards=Count("pk"),
            uncovered=Count("pk", filter=Q(branches=0)),
            single=Count("pk", filter=Q(branches=1)),
        )
        .order_by("district")
    )
    offers = {
        row["district"]: row
        for row in _with_rates(
            _days_in(period)
            .values(district=F("ward__district"))
            .annotate(**_kept_sums())
            .order_by()
        )
    }
    empty = {"sent": 0, "counted": 0, "responded": 0, "made": 0}
    empty |= dict.fromkeys(("response_rate", "offer_rate", "response_pct", "offer_pct"))
    return [{**offers.get(row["district"], empty), **row} for row in wards]


def coverage_summary() -> dict:
    """How many wards no branch covers, and how many only one."""
    return Ward.objects.annotate(branches=_branches_covering()).aggregate(
        wards=Count("pk"),
        uncovered=Count("pk", filter=Q(branches=0)),
        single=Count("pk", filter=Q(branches=1)),
    )
