"""K11 response time: the median hours from an offer being sent to its first answer, per provider
and per window (a quarter or the rolling days), and the whole market's, worked out in the database.

One query for any number of windows, never a loop over offers; the median is the mean of the
middle one or two answer times. On PostgreSQL an ordered-set aggregate takes the middle two of each
(window, provider) and of each window (`percentile_disc`, GROUPING SETS: one sort). On SQLite the
answered offers each get their seconds to answer, their place in order within their (window,
provider) and within their window (ROW_NUMBER), and the size of each (COUNT over the same
partition), and the middle rows are averaged (window functions and a CTE). Both give the same
figures (tests run on both).

`median_hours` is the reference: issue 13 keeps the figures the pages read (`brokerage/counts.py`),
a provider's per quarter exactly as it gives them, and the market's as a histogram of answers by
minutes to answer (`market_median_hours`, to the minute); rebuilds and tests recount with it.

The first answer is `first_responded_at` (an answer changed later moves only `responded_at`); an
offer answered before that field existed, or written without it, falls back to `responded_at`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DurationField,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from brokerage import counts
from brokerage.models import AnswerTimeCount, ResponseCount

# (code, start, end): the windows offers are counted in by their `sent_at`, [start, end).
Span = tuple[str, datetime, datetime]
# {(window code, provider id): median hours}; provider None is the whole set (the market).
MedianHours = dict[tuple[str, int | None], float]


class SecondsBetween(Func):
    """Seconds from the second expression to the first, as a number (PostgreSQL and SQLite)."""

    arity = 2
    arg_joiner = " - "
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


class Waited(Func):
    """The interval from the second expression to the first (PostgreSQL)."""

    arity = 2
    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = DurationField()


def _middle(rank: str, size: str) -> str:
    """The middle row (odd count) or two (even) of a partition: ranks (n+1)/2 to (n+2)/2 in
    whole-number division, e.g. rows 2 and 3 of 4, row 2 of 3."""
    return f"{rank} >= ({size} + 1) / 2 AND {rank} <= ({size} + 2) / 2"


def median_hours(answered: QuerySet, spans: Sequence[Span]) -> MedianHours:
    """The median hours to first answer per (window, provider) and per window, for the offers of
    `answered` (already narrowed to the answered offers K1 counts) sent in each span. One query."""
    if not spans:
        return {}
    if connection.vendor == "postgresql":
        return _median_hours_ordered_set(_timed(answered, spans), spans)
    return _median_hours_windowed(_timed(answered, spans), spans)


def _timed(answered: QuerySet, spans: Sequence[Span]) -> QuerySet:
    """The answered offers sent in any of `spans`, each with `answered_at` (its first answer)."""
    in_a_span = Q()
    for _, start, end in spans:
        in_a_span |= Q(sent_at__gte=start, sent_at__lt=end)
    return (
        answered.filter(in_a_span)
        .annotate(answered_at=Coalesce("first_responded_at", "responded_at"))
        .filter(answered_at__isnull=False)
        .order_by()
    )


def _median_hours_windowed(timed: QuerySet, spans: Sequence[Span]) -> MedianHours:
    """`median_hours` with window functions (SQLite; on PostgreSQL the tests' reference for
    `_median_hours_ordered_set`)."""
    span = Case(
        *(
            When(sent_at__gte=start, sent_at__lt=end, then=Value(code))
            for code, start, end in spans
        ),
        default=None,
    )
    timed = timed.annotate(span_code=span, secs=SecondsBetween("answered_at", "sent_at"))
    order = [F("secs").asc(), F("id").asc()]
    by_provider = [F("span_code"), F("provider_id")]
    ranked = timed.annotate(
        rank_p=Window(RowNumber(), partition_by=by_provider, order_by=order),
        size_p=Window(Count("id"), partition_by=by_provider),
        rank_m=Window(RowNumber(), partition_by=[F("span_code")], order_by=order),
        size_m=Window(Count("id"), partition_by=[F("span_code")]),
    ).values("span_code", "provider_id", "secs", "rank_p", "size_p", "rank_m", "size_m")
    inner, params = ranked.query.sql_with_params()
    q = connection.ops.quote_name
    w, p, s = q("span_code"), q("provider_id"), q("secs")
    # The inner query is the ORM's, its values parameters; every name here is ours.
    sql = (
        f"WITH ranked AS ({inner}) "  # noqa: S608
        f"SELECT {w}, {p}, AVG({s}) FROM ranked WHERE {_middle(q('rank_p'), q('size_p'))} "
        f"GROUP BY {w}, {p} "
        f"UNION ALL SELECT {w}, NULL, AVG({s}) FROM ranked "
        f"WHERE {_middle(q('rank_m'), q('size_m'))} GROUP BY {w}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(code, provider): _hours(secs) for code, provider, secs in cursor.fetchall()}


# percentile_disc at these two fractions gives the middle row of n and the row after it when n is
# even: rows ceil(0.5 n) and ceil((0.5 + 1e-12) n), which is the same row when n is odd (for any n
# under 5 * 10^11).
MIDDLE_TWO = "ARRAY[0.5, 0.500000000001]::float8[]"


def _span_index(spans: Sequence[Span]):
    """Which of `spans` an offer was sent in, by its place in the list: a number sorts faster
    than the span's code. With one span, 0: the offers are already narrowed to it."""
    if len(spans) == 1:
        return Value(0)
    return Case(
        *(
            When(sent_at__gte=start, sent_at__lt=end, then=Value(i))
            for i, (_, start, end) in enumerate(spans)
        ),
        default=None,
    )


def _median_hours_ordered_set(timed: QuerySet, spans: Sequence[Span]) -> MedianHours:
    """`median_hours` on PostgreSQL: each (window, provider)'s and each window's middle one or two
    answer times from one sort per group (`percentile_disc`, GROUPING SETS), where the window
    functions sorted every answered offer twice, by provider and by window (issue 13: the
    council's rolling 90 days over 400k answers, 3.1 s -> 0.5 s on a busy box). The same figure:
    the mean of the middle one or two times in whole seconds and fractions (numeric, as the window
    functions' AVG), the waits compared as intervals. Overlapping spans: an offer counts in the
    first it falls in, as the window functions' CASE has it."""
    inner, params = (
        timed.annotate(span_code=_span_index(spans), waited=Waited("answered_at", "sent_at"))
        .values("span_code", "provider_id", "waited")
        .query.sql_with_params()
    )
    q = connection.ops.quote_name
    w, p = q("span_code"), q("provider_id")
    sql = (
        f"SELECT {w}, {p}, (EXTRACT(EPOCH FROM m[1]) + EXTRACT(EPOCH FROM m[2])) / 2 FROM ("  # noqa: S608
        f"SELECT {w}, {p}, percentile_disc({MIDDLE_TWO}) WITHIN GROUP (ORDER BY {q('waited')}) m "
        f"FROM ({inner}) timed GROUP BY GROUPING SETS (({w}, {p}), ({w}))) middle"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {(spans[i][0], provider): _hours(secs) for i, provider, secs in rows}


def _hours(seconds) -> float:
    """Seconds (a Decimal on PostgreSQL, a float on SQLite) as hours; the seconds are rounded to
    a tenth first so both databases give the same figure for the same times."""
    return round(float(seconds), 1) / 3600


def market_median_hours(windows: Sequence, *, exclude_urgent: bool) -> dict[str, float | None]:
    """{window code: the market's median hours to first answer}, from the kept answer times
    (`AnswerTimeCount`): a quarter's from its quarter rows, all the quarters in one query; a
    rolling window's from its whole days' rows (one query each) and today's answers so far. To
    the minute (each answer counted at its whole minutes, to the nearest): the middle minute, or
    the mean of the middle two. `windows`: RateWindows (code, quarter, grain, tail)."""
    histograms: dict[str, Counter] = {w.code: Counter() for w in windows}
    kept = AnswerTimeCount.objects.order_by()
    if exclude_urgent:
        kept = kept.filter(urgent=False)
    quarters = {w.quarter.start_date: w.code for w in windows if w.quarter is not None}
    if quarters:
        rows = (
            kept.filter(grain=ResponseCount.QUARTER, start__in=list(quarters))
            .values_list("start", "minute")
            .annotate(n=Sum("offers"))
        )
        for start, minute, n in rows:
            histograms[quarters[counts.as_date(start)]][minute] += n
    for window in windows:
        if window.quarter is not None:
            continue
        grain, where = window.grain
        rows = kept.filter(grain=grain, **where).values_list("minute").annotate(n=Sum("offers"))
        histogram = histograms[window.code]
        for minute, n in rows:
            histogram[minute] += n
        if window.tail:  # today so far, from today's answered offers
            today = counts.answered_offers().filter(
                sent_at__gte=window.tail[0], sent_at__lt=window.tail[1]
            )
            if exclude_urgent:
                today = today.filter(urgent=False)
            for sent_at, answered_at in today.values_list("sent_at", "counted_answered_at"):
                histogram[
                    counts.answer_minute(counts.answer_micros_between(sent_at, answered_at))
                ] += 1
    return {code: histogram_median_hours(h) for code, h in histograms.items()}


def histogram_median_hours(histogram: dict[int, int]) -> float | None:
    """The median of answers counted by whole minutes ({minute: answers}), in hours: the middle
    answer's minute, or the mean of the middle two (ranks (n+1)//2 and (n+2)//2, as `_middle`)."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    low_rank, high_rank = (total + 1) // 2, (total + 2) // 2
    seen, low = 0, None
    for minute in sorted(histogram):
        seen += histogram[minute]
        if low is None and seen >= low_rank:
            low = minute
        if seen >= high_rank:
            return (low + minute) / 2 / 60
    return None


def hours_words(hours: float | None) -> str:
    """'5.5 hours', '1 hour', '40 minutes' under an hour; 'no answers' for no figure."""
    if hours is None:
        return "no answers"
    if hours < 1:
        minutes = round(hours * 60)
        return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
    text = f"{hours:.1f}".removesuffix(".0")
    return "1 hour" if text == "1" else f"{text} hours"
