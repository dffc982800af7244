"""Response rates (K1-K4): the one implementation behind the pages, the API and the CSV exports.

K1 counts an offer by the quarter of its `sent_at` (Europe/London) once it is answered (Offer Made,
Unable to Accept) or expired (No Response); Closed Before Response and offers still open and
unanswered are left out, and urgent packages too when the setting says. The counts read the same
`placement_response` the provider and the council both see (P9).

Issue 13: the market's and a provider's figures are read from the kept response counts
(`brokerage.models.ResponseCount`, moved in the same transaction as every write to an offer by
`brokerage/counts.py`): a quarter is one row per provider, a rolling window the week rows inside its
whole days and the day rows at their ends (for 90 days, 11 to 14 week rows and at most 12 days).
A rolling window runs from Europe/London midnight `days - 1` days ago until now: whole days from
the kept rows, today so far counted from today's offers (K3).
A branch user's own figures, which the counts do not keep per branch, are counted from that
branch's offers in the window: one grouped query on the (branch, sent_at) index.

K11, the median hours to first answer beside every rate, is kept too (`brokerage/counts.py`): a
quarter's per provider on its kept quarter row (read in the same query as its counts), the market's
from the kept answer-time histogram (one small query, to the minute), a rolling window's market
median from the day histograms plus today's answers so far. A provider's median over a rolling
window cannot be added up from kept figures: it is worked out from that provider's offers (one
query on the (provider, sent_at) index) where a page shows it, for the providers it shows.

K10: an offer whose challenge was upheld is left out of every count and counted instead as
`excluded` ("excluded after challenge"): in the kept counts' `excluded` column, moved by
`challenge_decide` in the same transaction; counted from offers, in the same grouped query (a LEFT
JOIN on the one-to-one challenge, so one row per offer and no extra query). Nothing is deleted.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import connections
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncQuarter
from django.utils import timezone

from brokerage.counts import whole_days
from brokerage.models import Offer, Outcome, PlacementResponse, ResponseCount
from core import gc
from core.models import PortalSettings
from providers.models import Provider, Role, User

from . import closed_quarters
from .models import ChallengeStatus
from .quarters import LONDON, Quarter, local_midnight
from .response_times import market_median_hours, median_hours

# K10: left out after an upheld challenge; everything else is kept.
EXCLUDED = Q(challenge__status=ChallengeStatus.UPHELD)
KEPT = Q(challenge__isnull=True) | ~Q(challenge__status=ChallengeStatus.UPHELD)
RESPONDED = Q(
    placement_response__in=[PlacementResponse.OFFER_MADE, PlacementResponse.UNABLE_TO_ACCEPT]
)
NO_RESPONSE = Q(placement_response=PlacementResponse.NO_RESPONSE)
OFFER_MADE = Q(placement_response=PlacementResponse.OFFER_MADE)
AWARDED = OFFER_MADE & Q(outcome=Outcome.AWARDED)
COUNTED_RESPONSES = [
    PlacementResponse.OFFER_MADE,
    PlacementResponse.UNABLE_TO_ACCEPT,
    PlacementResponse.NO_RESPONSE,
]
# What each figure on the self-view counts, for the list of offers behind it (K4).
BEHIND = {
    "offers": KEPT,
    "responded": RESPONDED & KEPT,
    "no_response": NO_RESPONSE & KEPT,
    "offer_made": OFFER_MADE & KEPT,
    "awarded": AWARDED & KEPT,
    "excluded": EXCLUDED,
}
ROLLING_DAYS = 90


@dataclass(frozen=True)
class RateWindow:
    """The window a response rate counts offers over: a quarter or the last so many days, offers
    sent in [start, end). (Ward health's date range is another thing: `brokerage.ward_health`.)"""

    code: str  # "2026-27-Q1" or "rolling-90"
    label: str
    start: datetime
    end: datetime
    quarter: Quarter | None = None
    # A rolling window's last day is in its kept rows whole when no offer of that day was sent
    # after the window's end (as when it ends now): then nothing is read from the offers.
    last_day_kept: bool = False

    @classmethod
    def for_quarter(cls, quarter: Quarter) -> RateWindow:
        return cls(str(quarter), quarter.label(), quarter.start_at, quarter.end_at, quarter)

    @classmethod
    def rolling(cls, now: datetime | None = None, days: int = ROLLING_DAYS) -> RateWindow:
        """The last `days` Europe/London days, today so far included (K3): offers sent from local
        midnight `days - 1` days ago until `now` (never an offer sent after `now`)."""
        now = now or timezone.now()
        today = now.astimezone(LONDON).date()
        start = today - timedelta(days=days - 1)
        # Today's kept rows count every offer sent today; they are today so far when none was
        # sent after `now` (one index probe; an offer sent while the figures are read may count).
        later_today = Offer.objects.filter(
            sent_at__gte=now, sent_at__lt=local_midnight(today + timedelta(days=1))
        )
        return cls(
            f"rolling-{days}",
            f"the last {days} days",
            local_midnight(start),
            now,
            last_day_kept=not later_today.exists(),
        )

    @property
    def _kept_until(self) -> date:
        """The day after the last whole day the kept rows give this rolling window."""
        last = self.end.astimezone(LONDON).date()
        return last + timedelta(days=1) if self.last_day_kept else last

    @property
    def kept_counts(self) -> Q:
        """The kept response counts of this window: a quarter's row, or the rows of the whole
        days before the day the window ends in (that day so far is `tail`): the week rows inside
        them and the day rows at their ends (`brokerage.counts.whole_days`; issue 13: 90 days
        are 11 to 14 week rows and at most 12 day rows a provider, not 89 day rows)."""
        if self.quarter is not None:
            return Q(grain=ResponseCount.QUARTER, start=self.quarter.start_date)
        first, last = self.start.astimezone(LONDON).date(), self._kept_until
        where = Q(grain=ResponseCount.DAY, start__gte=first, start__lt=first)  # no whole day
        for grain, low, high in whole_days(first, last):
            where |= Q(grain=grain, start__gte=low, start__lt=high)
        return where

    @property
    def grain(self) -> tuple[str, dict]:
        """Which kept answer times (K11's market histogram) cover this window, and the filter
        that picks them: a quarter's rows, or the whole days before the day the window ends in
        (that day so far is `tail`)."""
        if self.quarter is not None:
            return ResponseCount.QUARTER, {"start": self.quarter.start_date}
        first, last = self.start.astimezone(LONDON).date(), self._kept_until
        return ResponseCount.DAY, {"start__gte": first, "start__lt": last}

    @property
    def tail(self) -> tuple[datetime, datetime] | None:
        """The part of a rolling window the kept day counts cannot give: its last day from local
        midnight to the window's end, counted from that day's offers."""
        if self.quarter is not None or self.last_day_kept:
            return None
        midnight = local_midnight(self.end.astimezone(LONDON).date())
        return (midnight, self.end) if self.end > midnight else None

    @classmethod
    def parse(cls, code: str, now: datetime | None = None) -> RateWindow:
        """`2026-27-Q1` or `rolling-90`; ValueError with a plain message otherwise."""
        if code.startswith("rolling-") and code[8:].isdigit() and 1 <= int(code[8:]) <= 730:
            return cls.rolling(now, int(code[8:]))
        return cls.for_quarter(Quarter.parse(code))


def band_for(rate: float | None, rules: PortalSettings) -> str | None:
    """K2: low at or above the target (95%), medium from the floor (80%), high below."""
    return _band(rate, *_thresholds(rules))


def _band(rate: float | None, target: float, floor: float) -> str | None:
    if rate is None:
        return None
    if rate >= target:
        return "low"
    if rate >= floor:
        return "medium"
    return "high"


def _thresholds(rules: PortalSettings) -> tuple[float, float]:
    """The target and the floor as floats, worked out once per settings (issue 13: thousands of
    rows a read)."""
    settings = (rules.response_rate_target, rules.medium_risk_floor)
    cached = getattr(rules, "_band_thresholds", None)
    if cached is None or cached[0] != settings:
        cached = (settings, (float(settings[0]), float(settings[1])))
        rules._band_thresholds = cached
    return cached[1]


def band_description(band: str | None, rules: PortalSettings) -> str:
    """K2 in words, with the thresholds from the settings: 'Medium risk: below the 95% target,
    at or above 80%'. Colour is never the only sign of a band."""
    target, floor = (
        pct_threshold(rules.response_rate_target),
        pct_threshold(rules.medium_risk_floor),
    )
    return {
        "low": f"Low risk: at or above the {target} target",
        "medium": f"Medium risk: below the {target} target, at or above {floor}",
        "high": f"High risk: below {floor}",
    }.get(band or "", "No risk band: no offers counted")


class ProviderName(NamedTuple):
    """What a rate row shows of its provider: read as three columns, not as a whole Provider, so
    that thousands of rows cost little (issue 13; a named tuple is made in half the time of a
    frozen dataclass)."""

    pk: int
    ref: str
    name: str

    @property
    def id(self) -> int:
        return self.pk


# Grouped by these, a rate row brings its provider's reference and name in the same query.
NAMED = ("provider_id", "provider__ref", "provider__name")


def _rate_row(row: dict, rules: PortalSettings) -> RateRow:
    """A RateRow from a grouped row of NAMED and the figures, with its band."""
    provider = ProviderName(
        row.pop("provider_id"), row.pop("provider__ref"), row.pop("provider__name")
    )
    kept_median = row.pop("kept_median", None)  # K11, on a quarter's kept row
    rate_row = RateRow(provider_id=provider.pk, provider=provider, median_hours=kept_median, **row)
    rate_row.band = band_for(rate_row.rate, rules)
    return rate_row


@dataclass(slots=True)
class RateRow:
    provider_id: int
    offers: int  # responded + no_response: the offers K1 counts
    responded: int
    offer_made: int
    awarded: int
    excluded: int = 0  # K10: left out after an upheld challenge, not in `offers`
    band: str | None = None
    median_hours: float | None = None  # K11: to the first answer; None when none answered
    provider: ProviderName | None = None

    @property
    def no_response(self) -> int:
        return self.offers - self.responded

    @property
    def rate(self) -> float | None:
        return self.responded / self.offers if self.offers else None

    @property
    def offer_rate(self) -> float | None:
        """Offer Made ÷ offers counted (the acceptance rate of K4, K8)."""
        return self.offer_made / self.offers if self.offers else None

    @property
    def award_rate(self) -> float | None:
        """Awarded ÷ offers made."""
        return self.awarded / self.offer_made if self.offer_made else None


class RateRows(list):
    """Provider rows of one window, with `median_hours` over all their answered offers (K11)."""

    median_hours: float | None = None


@dataclass
class Market:
    providers: int = 0
    offers: int = 0
    responded: int = 0
    excluded: int = 0  # K10: offers left out after an upheld challenge
    rate: float | None = None
    median: float | None = None
    p25: float | None = None
    p75: float | None = None
    bands: dict[str, int] = field(default_factory=lambda: {"low": 0, "medium": 0, "high": 0})
    rates: list[float] = field(default_factory=list)  # every provider's rate, sorted (anonymous)
    median_hours: float | None = None  # K11: over every answered offer, not of provider medians

    def as_dict(self) -> dict:
        return {
            "rate": _round(self.rate),
            "median_hours_to_respond": self.median_hours,
            "median": _round(self.median),
            "p25": _round(self.p25),
            "p75": _round(self.p75),
            "providers": self.providers,
            "offers": self.offers,
            "responded": self.responded,
            "excluded_after_challenge": self.excluded,
            "bands": self.bands,
        }


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def counted_offers(
    offers: QuerySet | None = None, *, rules: PortalSettings | None = None
) -> QuerySet:
    """The offers K1 counts (answered or expired; urgent left out when the setting says)."""
    rules = rules or PortalSettings.load()
    offers = (Offer.objects.all() if offers is None else offers).filter(
        placement_response__in=COUNTED_RESPONSES
    )
    if rules.kpi_exclude_urgent:
        offers = offers.filter(urgent=False)
    return offers


def _aggregates() -> dict:
    return {
        "offers": Count("id", filter=KEPT),
        "responded": Count("id", filter=RESPONDED & KEPT),
        "offer_made": Count("id", filter=OFFER_MADE & KEPT),
        "awarded": Count("id", filter=AWARDED & KEPT),
        "excluded": Count("id", filter=EXCLUDED),
    }


def provider_rates(
    period: RateWindow,
    *,
    offers: QuerySet | None = None,
    provider_id: int | None = None,
    rules: PortalSettings | None = None,
    row_medians: bool = True,
) -> RateRows:
    """One row per provider with counted (or excluded, K10) offers in `period`, best rate first,
    each with its band, its provider's reference and name (same query) and its median hours to
    answer (K11): a quarter's kept with its counts, the window's (the market's) from the kept
    answer times. From the kept counts (every provider's, or `provider_id`'s alone); or, given
    `offers` (a branch's, say `Offer.objects.visible_to(branch_user)`, A1), counted from those
    offers. A rolling window's rows carry their own medians only with `row_medians`: for every
    provider that is a query over all the window's answered offers, so a caller that does not
    show them (L1's rates, the market's summary) passes False, and a page that shows a few gives
    them with `with_row_medians`."""
    rules = rules or PortalSettings.load()
    if offers is None and period.quarter is not None:  # one kept row a provider, as tuples
        kept = _kept(period.kept_counts, provider_id).values(*NAMED)
        rows = _kept_rate_rows(
            _fetch_rows(kept.annotate(**_sums(rules, ResponseCount.QUARTER))), rules
        )
    else:
        grouped = _grouped_rates(period, offers, provider_id, rules)
        rows = RateRows(
            _rate_row(row, rules) for row in grouped if row["offers"] or row["excluded"]
        )
        rows.sort(key=lambda r: (-(r.rate or 0), r.provider.name if r.provider else ""))
    by_window = {period.code: rows}
    return _with_median_hours(by_window, [period], offers, provider_id, rules, row_medians)[
        period.code
    ]


def _grouped_rates(
    period: RateWindow, offers: QuerySet | None, provider_id: int | None, rules: PortalSettings
):
    """Grouped rows of NAMED and the figures of a window: counted from `offers`, or a rolling
    window's summed from its kept rows with today so far counted from today's offers."""
    if offers is not None:
        return (
            counted_offers(offers, rules=rules)
            .filter(sent_at__gte=period.start, sent_at__lt=period.end)
            .order_by()
            .values(*NAMED)
            .annotate(**_aggregates())
        )
    grouped = _fetch_named(
        _kept(period.kept_counts, provider_id)
        .values("provider_id")
        .annotate(**_sums(rules, ResponseCount.DAY))
    )
    if period.tail:  # today so far, from today's offers (one index range)
        today = Offer.objects.filter(provider_id=provider_id) if provider_id else None
        grouped = _added(
            grouped,
            counted_offers(today, rules=rules)
            .filter(sent_at__gte=period.tail[0], sent_at__lt=period.tail[1])
            .order_by()
            .values(*NAMED)
            .annotate(**_aggregates()),
        )
    return grouped


def _with_median_hours(
    by_window: dict[str, RateRows],
    windows: list[RateWindow],
    offers: QuerySet | None,
    provider_id: int | None,
    rules: PortalSettings,
    row_medians: bool = True,
) -> dict[str, RateRows]:
    """K11 beside K1: each row's median hours to first answer, and each window's over all its
    rows. Given `offers`, one query over the answered ones K1 counts in the windows. Else from the
    kept figures: a quarter's rows already carry theirs; the market's from the kept answer times;
    a rolling window's rows from their offers (`with_row_medians`), one provider's or, with
    `row_medians`, every one's."""
    if offers is not None:
        answered = counted_offers(offers, rules=rules).filter(RESPONDED)
        hours = median_hours(answered, [(w.code, w.start, w.end) for w in windows])
        for code, rows in by_window.items():
            rows.median_hours = hours.get((code, None))
            for row in rows:
                row.median_hours = hours.get((code, row.provider_id))
        return by_window
    rolling = [w for w in windows if w.quarter is None]
    if provider_id or row_medians:
        for window in rolling:
            with_row_medians(window, by_window[window.code], rules=rules)
    if provider_id:  # one provider's rows: the window's median is its own
        for rows in by_window.values():
            rows.median_hours = rows[0].median_hours if rows else None
        return by_window
    market = market_median_hours(windows, exclude_urgent=rules.kpi_exclude_urgent)
    for code, rows in by_window.items():
        rows.median_hours = market.get(code)
    return by_window


def with_row_medians(
    window: RateWindow, rows: list[RateRow], *, rules: PortalSettings | None = None
) -> list[RateRow]:
    """K11 for these rows of a rolling window (a quarter's rows carry theirs): each row's median
    hours to first answer, from its provider's answered offers in the window (one query on the
    (provider, sent_at) index over these providers alone)."""
    ids = [row.provider_id for row in rows]
    if not ids:
        return rows
    rules = rules or PortalSettings.load()
    answered = counted_offers(Offer.objects.filter(provider_id__in=ids), rules=rules)
    hours = median_hours(answered.filter(RESPONDED), [(window.code, window.start, window.end)])
    for row in rows:
        row.median_hours = hours.get((window.code, row.provider_id))
    return rows


def _fetch(grouped: QuerySet) -> list[dict]:
    """The rows of a `values().annotate()` queryset, read with a plain cursor: Django's per-row
    converters cost more than the database's work for thousands of kept-count rows (issue 13)."""
    names = [*grouped.query.values_select, *grouped.query.annotation_select]
    return [dict(zip(names, row, strict=True)) for row in _fetch_rows(grouped)]


def _fetch_named(grouped: QuerySet) -> list[dict]:
    """`_fetch` of rows grouped by `provider_id` alone, each given NAMED's reference and name by a
    join after the grouping. Grouped by the names too, a rolling window's tens of thousands of kept
    rows were joined to their providers and sorted by the names' text before being summed into a
    few thousand rows (issue 13: at 2M offers 45,000 rows sorted on disk, 95 ms of the window's
    read); by the key alone they are summed in a hash, and only the sums meet the names."""
    sql, params = grouped.query.sql_with_params()
    names = [*grouped.query.values_select, *grouped.query.annotation_select]
    assert names[0] == "provider_id", names
    providers = Provider._meta.db_table
    named = (
        f"SELECT grouped.*, p.ref, p.name FROM ({sql}) grouped "  # noqa: S608 - the ORM's SQL
        f"JOIN {providers} p ON p.id = grouped.provider_id"
    )
    with connections[grouped.db].cursor() as cursor:
        cursor.execute(named, params)
        rows = cursor.fetchall()
    names += ["provider__ref", "provider__name"]
    return [dict(zip(names, row, strict=True)) for row in rows]


def _fetch_rows(grouped: QuerySet) -> list[tuple]:
    """The rows of a `values().annotate()` queryset as tuples, in its columns' order."""
    sql, params = grouped.query.sql_with_params()
    with connections[grouped.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _kept_rate_rows(kept: Iterable[tuple], rules: PortalSettings) -> RateRows:
    """RateRows, best rate first, from kept quarter rows read as (NAMED, offers, responded,
    offer_made, awarded, excluded, kept median), leaving out those that count nothing. Thousands
    of rows a read (issue 13): the thresholds are read once, each rate worked out once, and the
    garbage collector held off while the rows (small, without cycles) are made (`core.gc`)."""
    target, floor = _thresholds(rules)
    keyed = []
    with gc.paused():
        for (
            provider_id,
            ref,
            name,
            offers,
            responded,
            offer_made,
            awarded,
            excluded,
            median,
        ) in kept:
            if not (offers or excluded):
                continue
            rate = responded / offers if offers else None
            band = _band(rate, target, floor)
            provider = ProviderName(provider_id, ref, name)
            row = RateRow(
                provider_id,
                offers,
                responded,
                offer_made,
                awarded,
                excluded,
                band,
                median,
                provider,
            )
            keyed.append((-(rate or 0), name, row))
    keyed.sort(key=lambda k: k[:2])
    return RateRows(k[2] for k in keyed)


def _added(rows: list[dict], more) -> list[dict]:
    """Grouped rows of NAMED and figures, with `more` such rows added in, provider by provider."""
    by_provider = {row["provider_id"]: row for row in rows}
    for row in more:
        mine = by_provider.setdefault(row["provider_id"], dict(row, **dict.fromkeys(FIGURES, 0)))
        for name in FIGURES:
            mine[name] = (mine[name] or 0) + row[name]
    return list(by_provider.values())


FIGURES = ("offers", "responded", "offer_made", "awarded", "excluded")


def _kept(where: Q, provider_id: int | None) -> QuerySet:
    counts = ResponseCount.objects.filter(where)
    return counts.filter(provider_id=provider_id) if provider_id else counts.order_by()


def _sums(rules: PortalSettings, grain: str) -> dict:
    """The kept counts summed into RateRow's figures, less the urgent ones when the setting says;
    from a quarter's row (one per provider), its kept median hours to answer too (K11)."""

    def kept(name: str):
        return F(name) - F(f"urgent_{name}") if rules.kpi_exclude_urgent else F(name)

    sums = {
        "offers": kept("responded") + kept("no_response"),
        "responded": kept("responded"),
        "offer_made": kept("offer_made"),
        "awarded": kept("awarded"),
        "excluded": kept("excluded"),
    }
    if grain == ResponseCount.QUARTER:
        # One row per provider and quarter: read as it is, no grouping (issue 13).
        median = "nonurgent_median_hours" if rules.kpi_exclude_urgent else "median_hours"
        return sums | {"kept_median": F(median)}
    return {name: Sum(figure) for name, figure in sums.items()}


def own_figures(user: User) -> dict:
    """How to narrow `provider_rates` and `rates_by_quarter` to the user's own figures (A1): an
    organisation user's provider from the kept counts; a branch user's branch from its offers."""
    if user.role == Role.PROVIDER_ORG and user.provider_id:
        return {"provider_id": user.provider_id}
    return {"offers": Offer.objects.visible_to(user)}


def market_summary(rows: list[RateRow]) -> Market:
    """Overall rate, median and quartiles of provider rates, and providers per band (K1, K2); the
    median hours to answer when `rows` are RateRows that carry it (K11)."""
    rates = sorted(rate for r in rows if (rate := r.rate) is not None)
    market = Market(providers=len(rates), rates=rates)
    market.median_hours = getattr(rows, "median_hours", None)
    market.offers = sum(r.offers for r in rows)
    market.responded = sum(r.responded for r in rows)
    market.excluded = sum(r.excluded for r in rows)
    market.rate = market.responded / market.offers if market.offers else None
    for row in rows:
        if row.band:
            market.bands[row.band] += 1
    if len(rates) == 1:
        market.median = market.p25 = market.p75 = rates[0]
    elif rates:
        market.p25, market.median, market.p75 = statistics.quantiles(rates, n=4, method="inclusive")
    return market


def standing(rate: float | None, market: Market) -> dict | None:
    """Where a rate stands among the market's provider rates (K4).

    `percentile`: the share of providers with a lower rate (0-100). `top`: the smallest whole
    ten per cent band of best providers that includes this one ("you are in the top 30%");
    `bottom` the same from the other end. `place` says whichever is the smaller band, so the
    lowest provider reads "the bottom 10%", never "the top 100%".
    """
    if rate is None or not market.rates:
        return None
    n = len(market.rates)
    below = sum(1 for r in market.rates if r < rate)
    above = sum(1 for r in market.rates if r > rate)
    top = _tenth_band(above + 1, n)
    bottom = _tenth_band(below + 1, n)
    place = f"top {top}%" if top <= 50 or top <= bottom else f"bottom {bottom}%"
    return {
        "percentile": round(100 * below / n, 1),
        "top": top,
        "bottom": bottom,
        "place": place,
        "providers": n,
    }


def _tenth_band(position: int, n: int) -> int:
    """The smallest whole ten per cent (10-100) of `n` providers that holds the `position`-th."""
    return min(100, max(10, math.ceil(100 * position / n / 10) * 10))


def rates_by_quarter(
    quarters: list[Quarter],
    *,
    offers: QuerySet | None = None,
    provider_id: int | None = None,
    rules: PortalSettings | None = None,
) -> dict[str, RateRows]:
    """Provider rows for each quarter, from one read of the kept quarter counts (K8) with their
    kept median hours to answer (K11), narrowed to `provider_id`, and the market's median hours
    from one small read of the kept answer times; every provider's rows of a closed quarter as
    `closed_quarters` keeps them while nothing changed them (shared: read them, never change
    them). Or, given `offers`, one grouped query over them and one more for their medians."""
    rules = rules or PortalSettings.load()
    if not quarters:
        return {}
    if offers is None and provider_id is None:
        return closed_quarters.rows_by_quarter(
            quarters, rules, lambda some: _kept_by_quarter(some, None, rules)
        )
    if offers is None:
        return _kept_by_quarter(quarters, provider_id, rules)
    out: dict[str, RateRows] = {str(q): RateRows() for q in quarters}
    grouped = (
        counted_offers(offers, rules=rules)
        .filter(sent_at__gte=quarters[0].start_at, sent_at__lt=quarters[-1].end_at)
        .annotate(start=TruncQuarter("sent_at", tzinfo=LONDON))
        .order_by()
        .values("start", *NAMED)
        .annotate(**_aggregates())
    )
    for row in grouped:
        quarter = str(Quarter.containing(_as_date(row.pop("start"))))
        if row["offers"] or row["excluded"]:
            out.setdefault(quarter, RateRows()).append(_rate_row(row, rules))
    windows = [RateWindow.for_quarter(q) for q in quarters]
    return _with_median_hours(out, windows, offers, provider_id, rules)


def _kept_by_quarter(
    quarters: list[Quarter], provider_id: int | None, rules: PortalSettings
) -> dict[str, RateRows]:
    """`rates_by_quarter` from the kept counts: one read of the quarters' rows (18,000 for the
    dashboard's six quarters, read as tuples, each quarter named once) and the medians."""
    out: dict[str, RateRows] = {str(q): RateRows() for q in quarters}
    code = {q.start_date: str(q) for q in quarters}
    rows = _fetch_rows(
        _kept(Q(grain=ResponseCount.QUARTER, start__in=list(code)), provider_id)
        .values("start", *NAMED)
        .annotate(**_sums(rules, ResponseCount.QUARTER))
    )
    by_start = defaultdict(list)
    for start, *values in rows:
        by_start[code.get(start) or code[_as_date(start)]].append(values)
    for quarter, values in by_start.items():
        out[quarter] = _kept_rate_rows(values, rules)
    windows = [RateWindow.for_quarter(q) for q in quarters]
    return _with_median_hours(out, windows, None, provider_id, rules)


def _as_date(value):
    """TruncQuarter gives a datetime on PostgreSQL and may give a date elsewhere; a kept count's
    `start` read with a plain cursor is a date, or text on SQLite."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.astimezone(LONDON).date() if timezone.is_aware(value) else value.date()
    return value


def offers_behind(
    user, period: RateWindow, figure: str, *, rules: PortalSettings | None = None
) -> QuerySet:
    """The user's own offers behind one figure of the self-view (K4), scoped by `visible_to` (A1)."""
    base = counted_offers(Offer.objects.visible_to(user), rules=rules).filter(
        sent_at__gte=period.start, sent_at__lt=period.end
    )
    return base.filter(BEHIND[figure]).select_related("package", "branch", "challenge")


def pct(value: float | None) -> str:
    """'96.4%' or '–' for no figure."""
    return "–" if value is None else f"{Decimal(str(value * 100)).quantize(Decimal('0.1'))}%"


def pct_threshold(value) -> str:
    """A setting's percentage as people say it: '95%', but '92.5%'."""
    return pct(float(value)).replace(".0%", "%")


def rate_row_dict(row: RateRow) -> dict:
    """One provider's response rates as the API and the pages give them (rates to 4 places)."""
    return {
        "provider": {"ref": row.provider.ref, "name": row.provider.name},
        "offers": row.offers,
        "responded": row.responded,
        "no_response": row.no_response,
        "rate": None if row.rate is None else round(row.rate, 4),
        "median_hours_to_respond": row.median_hours,
        "band": row.band,
        "offer_made": row.offer_made,
        "offer_rate": None if row.offer_rate is None else round(row.offer_rate, 4),
        "awarded": row.awarded,
        "award_rate": None if row.award_rate is None else round(row.award_rate, 4),
        "excluded_after_challenge": row.excluded,
    }


def response_rates_payload(user: User, period: RateWindow) -> dict:
    """The one answer for pages, API and exports: market from every provider; rows scoped (A1)."""
    # A provider sees the market's summary and its own row: every other provider's median hours
    # (a rolling window's, from its offers) would be worked out for nothing.
    rows = provider_rates(period, row_medians=user.is_council)
    market = market_summary(rows)
    payload = {"period": period.code, "market": market.as_dict()}
    if user.is_council:
        payload["results"] = [rate_row_dict(r) for r in rows]
        return payload
    own = provider_rates(period, **own_figures(user))
    payload["results"] = [rate_row_dict(r) for r in own]
    place = standing(own[0].rate if own else None, market)
    payload["percentile"] = place["percentile"] if place else None
    payload["top"] = place["top"] if place else None
    return payload
