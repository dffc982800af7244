"""The response counts (`ResponseCount`, issue 13): K1 and K4 counted per provider per day, per
week (cut where a quarter starts: `week_start`) and per quarter, moved in the same transaction as
every write that changes what an offer counts as. A rolling window reads the week rows inside it and
the day rows at its ends (`whole_days`).

An offer counts by its state (`STATE_FIELDS`, then whether K10 left it out): the provider, the
Europe/London day it was sent (and so its quarter), urgent or not, its placement response, its
outcome, when it was first answered (K11), and whether its challenge was upheld (then it counts as
`excluded` and in no other count, as K1 counts it). Every write moves the counts from the offers'
state before to their state after (`shift`):

- `Offer.save()` does it for one offer (respond, award, anything saved through the ORM);
- `transitions.settle_offers` for its UPDATE (expire, award's losers, withdraw, cancel);
- `distribution.auto_answer_declared` for P12's UPDATE;
- `record_created` for offers written with `bulk_create` (the demo's history);
- `exclude` when K10's `challenge_decide` upholds a challenge (kpi, above brokerage, calls it);
- `rebuild` recounts from the offers (the `rebuild_kpi_summary` command), leaving closed quarters.

Each shift is one upsert (`INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`) of the rows
it moves, in key order so two transactions never wait on each other in a circle; inside
`deferred()` (a service that settles offers in several steps) the shifts add up and are written
once at the end. A new offer, open and unanswered, counts nothing in K1, so the distribution's INSERT
moves no response count.

K12's market gaps (`GapCount`) are kept per package and financial quarter by the same shifts (the
offer's state carries its package and decline reason): every offer sent counts in `offers`, an
Unable to Accept in `declined` and its reason's column, an Offer Made in `made`. Unlike K1 a new
offer does count there, so every INSERT of offers counts them too: `record_offered` from the
INSERT's RETURNING (widening, reallocation batches, SQLite), or, for the distribution on
PostgreSQL, an upsert in the same statement as the offers and their e-mails.

Ward health's day counts (`WardDayCount`, W5) are kept per package and Europe/London day by the
same shifts and the same inserts as K12's gaps: `sent` counts every offer, `counted`, `responded`
and `made` those W5's rates count (K10's left-out offers in `sent` alone), so a period's ward and
district figures read one row per package and day instead of every offer.

K11, the median hours to first answer of the answered offers K1 counts, cannot be added up from
counts, so it is kept two ways (README "K11 from kept medians"):

- per provider and quarter, exactly, on the quarter's `ResponseCount` row (`median_hours`, and
  `nonurgent_median_hours` for the setting that leaves urgent offers out): a shift that changes
  which answered offers a provider's quarter counts, or their first answer's time, marks it, and
  at the write it is worked out again from that provider's offers of that quarter (one query on
  the (provider, sent_at) index, after the quarter's row is locked by the count's upsert, so two
  transactions never both miss each other's answer), the median taken in Python from the seconds
  as `kpi.response_times.median_hours` takes it, the same on PostgreSQL and SQLite;
- for the market, a histogram (`AnswerTimeCount`): answered offers per day and per quarter, urgent
  or not, by whole minutes to first answer, moved +1/-1 like the counts; the market's median is the
  middle of it, to the minute.
"""

from __future__ import annotations

import statistics
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import BooleanField, Count, Expression, F, Func, IntegerField, Q, Value
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from core import changes
from providers.models import Provider

from .models import (
    AnswerTimeCount,
    ClosedQuarterChange,
    DeclineReason,
    GapCount,
    Offer,
    Outcome,
    Package,
    PlacementResponse,
    ResponseCount,
    WardDayCount,
)

LONDON = ZoneInfo("Europe/London")
COUNTED_RESPONSES = (
    PlacementResponse.OFFER_MADE,
    PlacementResponse.UNABLE_TO_ACCEPT,
    PlacementResponse.NO_RESPONSE,
)
ANSWERED = (PlacementResponse.OFFER_MADE, PlacementResponse.UNABLE_TO_ACCEPT)
# The offer's state as the counts read it; `counted_answered_at` is K11's first answer's time
# (`first_responded_at`, or `responded_at` for an offer answered before that field was kept).
STATE_FIELDS = (
    "provider_id",
    "sent_at",
    "urgent",
    "placement_response",
    "outcome",
    "counted_answered_at",
    "package_id",  # K12's gaps: the package's, by quarter
    "reason",
)
MICROSECONDS_A_MINUTE = 60_000_000
UPSERT_ROWS = 2000  # 26,000 parameters: under SQLite's 32,766 a statement
# A quarter stays open to change for K10's challenges (28 days after its end) and the last
# deadlines of its offers; after that a rebuild leaves it as it is (closed quarters never change).
CLOSED_AFTER_DAYS = 35
# (provider_id, sent_at, urgent, placement_response, outcome, answered_at, package_id, reason,
# excluded)
State = tuple
Key = tuple[str, date, int]  # (grain, start, provider_id)

_local = threading.local()


class Exclusion:
    """K10: whether an offer is left out of K1 (its challenge upheld), as an expression over an
    offers queryset. Challenges live in kpi, above brokerage (brokerage never imports kpi), so kpi
    gives the expression when it is ready (`kpi.apps`); without it no offer is left out."""

    expression = None  # callable(offer path) giving a fresh boolean expression (kpi: an IN)

    @classmethod
    def of_offer(cls, offer: str = "pk") -> Expression:
        """Whether the offer (reached through `offer`, the path to its id) is left out."""
        if cls.expression is None:
            return Value(False, output_field=BooleanField())
        return cls.expression(offer)


class Medians:
    """K11's reference recount, `kpi.response_times.median_hours` (one window query over the
    answered offers), which `rebuild` fills the quarters' medians with; kpi gives it when ready
    (brokerage never imports kpi). Without it a rebuild leaves the medians empty."""

    of = None  # callable(answered offers, [(code, start, end)]) -> {(code, provider): hours}


def quarter_start(day: date) -> date:
    """The first day of the UK financial quarter `day` is in (Q1 April-June ... Q4 January-March)."""
    month = (day.month - 4) % 12 // 3 * 3 + 4
    year = day.year if day.month >= 4 else day.year - 1
    return date(year + 1, month - 12, 1) if month > 12 else date(year, month, 1)


def next_quarter_start(day: date) -> date:
    return quarter_start(quarter_start(day) + timedelta(days=100))


def week_start(day: date) -> date:
    """The first day of the week row `day` counts in: its Monday, or its quarter's first day when
    the quarter starts later that week. A week row never spans two quarters, so a rebuild of the
    open quarters never touches a closed one's rows."""
    return max(day - timedelta(days=day.weekday()), quarter_start(day))


def week_end(start: date) -> date:
    """The day after the last of the week row beginning `start` (a Monday, or a quarter's first
    day): the next Monday, or the next quarter's first day if that comes first."""
    return min(start + timedelta(days=7 - start.weekday()), next_quarter_start(start))


def whole_days(first: date, last: date) -> list[tuple[str, date, date]]:
    """The kept rows that count the days [first, last) and nothing else, as (grain, from, to):
    the week rows lying wholly inside, the day rows of the days before and after them (at most
    six at each end). 89 whole days are 11 to 14 week rows (one more where a quarter starts
    inside) and at most 12 day rows, not 89 (issue 13)."""
    spans: list[tuple[str, date, date]] = []
    day = first
    while day < last:
        if week_start(day) == day and week_end(day) <= last:
            end = day
            while week_end(end) <= last:
                end = week_end(end)
            spans.append((ResponseCount.WEEK, day, end))
        else:
            end = day
            while end < last and not (week_start(end) == end and week_end(end) <= last):
                end += timedelta(days=1)
            spans.append((ResponseCount.DAY, day, end))
        day = end
    return spans


def local_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def columns(state: State) -> list[str]:
    """The counts one offer in `state` adds to (none while open and unanswered, or closed before
    response): K1's responded / no response, K4's offer made / awarded, or, left out after an
    upheld challenge (K10), `excluded` alone; each also `urgent_`."""
    _, _, urgent, response, outcome, *_, excluded = state
    if response not in COUNTED_RESPONSES:
        return []
    if excluded:
        names = ["excluded"]
    elif response == PlacementResponse.OFFER_MADE:
        names = ["responded", "offer_made"] + (["awarded"] if outcome == Outcome.AWARDED else [])
    elif response == PlacementResponse.UNABLE_TO_ACCEPT:
        names = ["responded"]
    else:  # No Response
        names = ["no_response"]
    return names + [f"urgent_{n}" for n in names] if urgent else names


def gap_columns(state: State) -> list[str]:
    """K12: the gap counts one offer in `state` adds to: every offer counts in `offers`; an Unable
    to Accept in `declined` and its reason's (if it gives one); an Offer Made in `made`. K10's
    exclusion does not change them (the market's gaps count every offer sent)."""
    response, reason = state[3], state[7]
    if response == PlacementResponse.UNABLE_TO_ACCEPT:
        return ["offers", "declined"] + ([f"declined_{reason}"] if reason in REASONS else [])
    if response == PlacementResponse.OFFER_MADE:
        return ["offers", "made"]
    return ["offers"]


REASONS = frozenset(DeclineReason.values)


def ward_columns(state: State) -> list[str]:
    """Ward health (W5): the counts one offer in `state` adds to on its package's day row: every
    offer counts in `sent`; one K1 counts (answered or No Response, not left out by K10) in
    `counted`, answered in `responded` too, and an Offer Made in `made` too."""
    response, excluded = state[3], state[-1]
    if excluded or response not in COUNTED_RESPONSES:
        return ["sent"]
    if response == PlacementResponse.OFFER_MADE:
        return ["sent", "counted", "responded", "made"]
    if response == PlacementResponse.UNABLE_TO_ACCEPT:
        return ["sent", "counted", "responded"]
    return ["sent", "counted"]


def keys(state: State, day: date | None = None) -> tuple[Key, Key, Key]:
    """The rows an offer in `state` counts in: its day's, its week's and its quarter's (`day`:
    its London day of sending, when the caller has it already)."""
    provider_id = state[0]
    day = day or local_day(state[1])
    return (
        (ResponseCount.DAY, day, provider_id),
        (ResponseCount.WEEK, week_start(day), provider_id),
        (ResponseCount.QUARTER, quarter_start(day), provider_id),
    )


def answer_micros(state: State) -> int | None:
    """K11: the microseconds from sent to first answer of an offer in `state` that K1 counts as
    answered (Offer Made or Unable to Accept, not left out by K10), else None."""
    _, sent_at, _, response, _, answered_at, *_, excluded = state
    if response not in ANSWERED or excluded or answered_at is None:
        return None
    return answer_micros_between(sent_at, answered_at)


def answer_micros_between(sent_at: datetime, answered_at: datetime) -> int:
    return (answered_at - sent_at) // timedelta(microseconds=1)


def answer_minute(micros: int) -> int:
    """Whole minutes to the nearest (half a minute up), as the market's histogram keeps them."""
    return (micros + MICROSECONDS_A_MINUTE // 2) // MICROSECONDS_A_MINUTE


class Moves:
    """What a shift changes: the counts per key; the market's answer times per (grain, start,
    urgent, minute); and each (provider, quarter) answered offers, as +1/-1 of (urgent, micros):
    where these do not cancel, the quarter's median is worked out again (`stale`)."""

    def __init__(self):
        self.counts: dict[Key, Counter] = defaultdict(Counter)
        self.gaps: dict[tuple[date, int], Counter] = defaultdict(Counter)  # (quarter, package)
        self.wards: dict[tuple[date, int], Counter] = defaultdict(Counter)  # (day, package)
        self.times: Counter = Counter()
        self.answers: Counter = Counter()

    def add(self, sign: int, state: State) -> None:
        sent_on = local_day(state[1])  # once: the gaps and the counts both key on it
        gap = self.gaps[(quarter_start(sent_on), state[6])]
        for name in gap_columns(state):
            gap[name] += sign
        ward = self.wards[(sent_on, state[6])]
        for name in ward_columns(state):
            ward[name] += sign
        names = columns(state)
        if not names:
            return
        day, week, quarter = keys(state, sent_on)
        for key in (day, week, quarter):
            for name in names:
                self.counts[key][name] += sign
        micros = answer_micros(state)
        if micros is None:
            return
        urgent, minute = bool(state[2]), answer_minute(micros)
        for grain, start, _ in (day, quarter):  # the market's answer times: days and quarters
            self.times[(grain, start, urgent, minute)] += sign
        self.answers[(quarter[2], quarter[1], urgent, micros)] += sign

    def update(self, other: Moves) -> None:
        for key, counter in other.counts.items():
            self.counts[key].update(counter)
        for key, counter in other.gaps.items():
            self.gaps[key].update(counter)
        for key, counter in other.wards.items():
            self.wards[key].update(counter)
        self.times.update(other.times)
        self.answers.update(other.answers)

    def changed_counts(self) -> dict[Key, Counter]:
        return {k: c for k, c in self.counts.items() if any(c.values())}

    def changed_gaps(self) -> dict[tuple[date, int], Counter]:
        return {k: c for k, c in self.gaps.items() if any(c.values())}

    def changed_wards(self) -> dict[tuple[date, int], Counter]:
        return {k: c for k, c in self.wards.items() if any(c.values())}

    def stale(self) -> set[tuple[int, date]]:
        """The (provider, quarter start) whose answered offers changed."""
        return {(provider, start) for (provider, start, *_), n in self.answers.items() if n}

    def __bool__(self) -> bool:
        return bool(
            self.changed_counts()
            or self.changed_gaps()
            or self.changed_wards()
            or any(self.times.values())
            or self.stale()
        )


def moves(before: Iterable[State], after: Iterable[State]) -> Moves:
    """The change in each count (and K11's answer times) from offers in states `before` to the
    same offers in `after`."""
    delta = Moves()
    for sign, states in ((-1, before), (1, after)):
        for state in states:
            delta.add(sign, state)
    return delta


def shift(before: Iterable[State], after: Iterable[State]) -> None:
    """Move the counts from `before` to `after` (now, or at the end of `deferred()`)."""
    _apply(moves(before, after))


def _apply(delta: Moves) -> None:
    """Write `delta` now, or add it to the pending shifts inside `deferred()`."""
    if not delta:
        return
    pending = getattr(_local, "pending", None)
    if pending is not None:
        pending.update(delta)
        return
    _write(delta)


@contextmanager
def deferred() -> Iterator[None]:
    """Add up the shifts made inside and write them once, in key order, at the end (inside the
    caller's transaction). Nested uses write at the outermost end."""
    if getattr(_local, "pending", None) is not None:
        yield
        return
    _local.pending = Moves()
    try:
        yield
        pending = _local.pending
    finally:
        _local.pending = None
    if pending:
        _write(pending)


def _write(delta: Moves) -> None:
    """Write the counts, then the market's answer times, then the stale quarters' medians, in one
    transaction (the quarters' rows locked by the counts' upsert or, where no count moved, by a
    SELECT ... FOR UPDATE, before their offers are read)."""
    with transaction.atomic():
        changes.changed()  # the kept counts are written with set-based statements, no post_save
        counted = delta.changed_counts()
        _write_counts(counted)
        _write_gaps(delta.changed_gaps())
        _write_wards(delta.changed_wards())
        _write_times({k: n for k, n in delta.times.items() if n})
        stale = delta.stale()
        if stale:
            unlocked = sorted(
                (p, s) for p, s in stale if (ResponseCount.QUARTER, s, p) not in counted
            )
            if unlocked:
                lock = Q()
                for provider_id, start in unlocked:
                    lock |= Q(provider_id=provider_id, start=start)
                list(
                    ResponseCount.objects.select_for_update()
                    .filter(lock, grain=ResponseCount.QUARTER)
                    .order_by("provider_id", "start")
                    .values_list("pk")
                )
            keep_medians(stale)
        note_closed_changes(
            [key[1] for key in counted]
            + [start for (_, start, *_), n in delta.times.items() if n]
            + [start for _, start in stale]
        )


def note_closed_changes(days: Iterable[date], *, now: datetime | None = None) -> None:
    """Record a change to each closed quarter (`first_open_quarter`) among the quarters of these
    days (a count's start, a day or a week or a quarter's), in the writer's transaction: the
    K1 and K11 figures `kpi.closed_quarters` keeps of them are then read again (K12's gaps are
    not kept there). A quarter still open records nothing (the hot path: every answer)."""
    first_open = first_open_quarter(now or timezone.now())
    closed = sorted({s for s in map(quarter_start, map(as_date, days)) if s < first_open})
    if closed:
        ClosedQuarterChange.objects.bulk_create([ClosedQuarterChange(start=s) for s in closed])


def _write_times(delta: dict[tuple, int]) -> None:
    """Upsert the market's answer-time counts, in key order."""
    if not delta:
        return
    table = AnswerTimeCount._meta.db_table
    q = connection.ops.quote_name
    values, params = [], []
    for (grain, start, urgent, minute), n in sorted(delta.items()):
        values.append("(%s, %s, %s, %s, %s)")
        params += [grain, start, urgent, minute, n]
    sql = (
        f"INSERT INTO {q(table)} (grain, start, urgent, minute, offers) VALUES {', '.join(values)} "  # noqa: S608 - names ours, values parameters
    )
    sql += f"ON CONFLICT (grain, start, urgent, minute) DO UPDATE SET offers = {q(table)}.offers + excluded.offers"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _write_gaps(delta: dict[tuple[date, int], Counter]) -> None:
    """Upsert the packages' gap counts (K12), keyed (quarter start, package); a row made takes its
    package's ward and service level."""
    _upsert(
        GapCount,
        ("start", "package_id"),
        GapCount.COLUMNS,
        delta,
        from_package=("ward_id", "service_level"),
    )


def _write_wards(delta: dict[tuple[date, int], Counter]) -> None:
    """Upsert the packages' day counts for ward health (W5), keyed (day, package); a row made
    takes its package's ward."""
    _upsert(
        WardDayCount, ("day", "package_id"), WardDayCount.COLUMNS, delta, from_package=("ward_id",)
    )


def record_offered(package_ids: Iterable[int], sent_at: datetime) -> None:
    """K12 and W5: offers just inserted (one `package_id` each, as an INSERT's RETURNING gives
    them), open and unanswered, all sent at `sent_at`: each counts in its package's `offers` for
    the quarter and `sent` for the day (now, or at the end of `deferred()`)."""
    day = local_day(sent_at)
    start = quarter_start(day)
    delta = Moves()
    for package_id, n in Counter(package_ids).items():
        delta.gaps[(start, package_id)]["offers"] += n
        delta.wards[(day, package_id)]["sent"] += n
    _apply(delta)


def _write_counts(delta: dict[Key, Counter]) -> None:
    _upsert(ResponseCount, ("grain", "start", "provider_id"), ResponseCount.COLUMNS, delta)


def _upsert(
    model,
    keys: tuple[str, ...],
    names: tuple[str, ...],
    delta: dict[tuple, Counter],
    *,
    from_package: tuple[str, ...] = (),
):
    """Add each of `delta`'s counters to `model`'s row with those `keys` (its unique constraint),
    inserting the rows missing (with the `from_package` columns of the package a `package_id` key
    names): in key order, so two transactions never wait on each other in a circle, UPSERT_ROWS a
    statement (a bulk load's shift, say the demo's history, has more rows than SQLite takes
    parameters in one statement)."""
    if not delta:
        return
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    placeholders = ", ".join(["%s"] * (len(keys) + len(names)))
    updates = ", ".join(f"{q(n)} = {table}.{q(n)} + excluded.{q(n)}" for n in names)
    target = ", ".join(q(n) for n in (*keys, *from_package, *names))
    conflict = ", ".join(q(k) for k in keys)
    if from_package:
        # The VALUES' columns are column1, column2, ... (PostgreSQL and SQLite alike); SQLite
        # needs a WHERE before ON CONFLICT to tell it from a join's ON.
        given = [f"v.column{i}" for i in range(1, len(keys) + len(names) + 1)]
        package = f"v.column{keys.index('package_id') + 1}"
        select = (
            f"SELECT {', '.join(given[: len(keys)])}, "  # noqa: S608 - names ours
            f"{', '.join(f'p.{q(c)}' for c in from_package)}, {', '.join(given[len(keys) :])} "
            f"FROM (VALUES {{values}}) AS v "
            f"JOIN {q(Package._meta.db_table)} p ON p.id = {package} "
            f"WHERE 1 = 1 ORDER BY {', '.join(given[: len(keys)])} "
        )
    else:
        select = "VALUES {values} "
    rows = sorted(delta.items())
    with transaction.atomic(), connection.cursor() as cursor:
        for at in range(0, len(rows), UPSERT_ROWS):
            values, params = [], []
            for key, counter in rows[at : at + UPSERT_ROWS]:
                values.append(f"({placeholders})")
                params += [*key, *(counter.get(n, 0) for n in names)]
            sql = f"INSERT INTO {table} ({target}) " + select.format(values=", ".join(values))  # noqa: S608 - names from the models, values are parameters
            sql += f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
            cursor.execute(sql, params)


def move_on_save(offer: Offer, save, update_fields) -> None:
    """`Offer.save()` (inside its transaction): the counts move from the offer's stored state,
    read again under a row lock whatever state the object was read in, to the state saved (only
    the fields saved, with `update_fields`)."""
    before = None if offer._state.adding else saved_state(offer)
    save()
    # A save never decides a challenge: the offer stays left out (K10) or not, as stored.
    after = (*offer.counted_state(), bool(before and before[-1]))
    if before is not None and update_fields is not None:
        saved = set(update_fields)
        if saved & {"first_responded_at", "responded_at"}:
            saved.add("counted_answered_at")
        after = tuple(
            new if name in saved or name.removesuffix("_id") in saved else old
            for name, old, new in zip((*STATE_FIELDS, "excluded"), before, after, strict=True)
        )
    shift([before] if before else [], [after])


Offer.count_mover = staticmethod(move_on_save)


def saved_state(offer: Offer) -> State | None:
    """The offer's state as stored, read under a row lock (whatever state the object was read in),
    or None when it is not stored yet."""
    row = state_rows(Offer.objects.select_for_update(of=("self",)).filter(pk=offer.pk)).first()
    return tuple(row) if row else None


def state_rows(offers, *first: str):
    """`offers.values_list(*first, *STATE_FIELDS, excluded)`: each offer's state after the fields
    named first. K10's exclusion is a subquery, so a row lock on the offers stays on them alone."""
    return offers.annotate(
        counted_answered_at=Coalesce("first_responded_at", "responded_at"),
        counted_excluded=Exclusion.of_offer(),
    ).values_list(*first, *STATE_FIELDS, "counted_excluded")


def record_created(offers: list[Offer]) -> None:
    """Count offers written with `bulk_create` (which bypasses `Offer.save`); new offers have no
    challenge."""
    shift([], [(*o.counted_state(), False) for o in offers])


def exclude(offer_ids: Iterable[int]) -> None:
    """K10: these offers' challenges were upheld in this transaction, so K1 leaves them out: their
    counts move to `excluded`. Their rows are locked first, so a write to one of them at the same
    time moves its counts before or after this, never across it."""
    rows = (
        Offer.objects.select_for_update()
        .filter(pk__in=list(offer_ids))
        .annotate(counted_answered_at=Coalesce("first_responded_at", "responded_at"))
        .order_by("pk")
        .values_list(*STATE_FIELDS)
    )
    rows = list(rows)
    shift([(*row, False) for row in rows], [(*row, True) for row in rows])


def changed(state: State, changes: dict) -> State:
    """`state` after an UPDATE that sets `changes` (placement_response, outcome, and K11's first
    answer: `first_responded_at`, or `responded_at` on an offer not answered before; the rest of
    an offer's state, K10's exclusion included, never changes by one)."""
    provider_id, sent_at, urgent, response, outcome, answered_at, package_id, reason, excluded = (
        state
    )
    if changes.get("first_responded_at") is not None:
        answered_at = changes["first_responded_at"]
    elif answered_at is None and "responded_at" in changes:
        answered_at = changes["responded_at"]
    return (
        provider_id,
        sent_at,
        urgent,
        changes.get("placement_response", response),
        changes.get("outcome", outcome),
        answered_at,
        package_id,
        changes.get("reason", reason),
        excluded,
    )


# --- K11: the quarters' medians and the market's answer times ------------------------------------


def quarter_bounds(start: date) -> tuple[datetime, datetime]:
    """The quarter beginning `start`, as the moments [from, to) its offers were sent in."""
    end = quarter_start(start + timedelta(days=100))
    return local_midnight(start), local_midnight(end)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), LONDON)


def answered_offers(offers=None):
    """The answered offers K1 counts whatever their urgency (Offer Made, Unable to Accept; not
    left out by K10), with K11's first answer's time as `counted_answered_at`."""
    offers = Offer.objects.all() if offers is None else offers
    return (
        offers.filter(placement_response__in=ANSWERED)
        .annotate(
            counted_answered_at=Coalesce("first_responded_at", "responded_at"),
            counted_excluded=Exclusion.of_offer(),
        )
        .filter(counted_excluded=False, counted_answered_at__isnull=False)
    )


def median_hours_of(micros: list[int]) -> float | None:
    """The median of these microseconds to answer, in hours, as `kpi.response_times.median_hours`
    gives it: the middle one or the mean of the middle two, in seconds rounded to a tenth."""
    if not micros:
        return None
    return round(statistics.median(micros) / 1_000_000, 1) / 3600


def quarter_medians(stale: Iterable[tuple[int, date]]) -> dict[tuple[int, date], tuple]:
    """{(provider, quarter start): (median hours, median hours of the offers not urgent)}, worked
    out from those providers' answered offers of those quarters (one query on the (provider,
    sent_at) index)."""
    stale = sorted(set(stale))
    where = Q()
    for provider_id, start in stale:
        low, high = quarter_bounds(start)
        where |= Q(provider_id=provider_id, sent_at__gte=low, sent_at__lt=high)
    found: dict[tuple[int, date], tuple[list, list]] = {key: ([], []) for key in stale}
    rows = (
        answered_offers()
        .filter(where)
        .order_by()
        .values_list("provider_id", "sent_at", "urgent", "counted_answered_at")
    )
    for provider_id, sent_at, urgent, answered_at in rows:
        every, not_urgent = found[(provider_id, quarter_start(local_day(sent_at)))]
        micros = answer_micros_between(sent_at, answered_at)
        every.append(micros)
        if not urgent:
            not_urgent.append(micros)
    return {key: (median_hours_of(a), median_hours_of(b)) for key, (a, b) in found.items()}


def keep_medians(stale: Iterable[tuple[int, date]]) -> None:
    """Work the stale quarters' medians out again and write them on their quarter rows."""
    for (provider_id, start), (every, not_urgent) in quarter_medians(stale).items():
        ResponseCount.objects.filter(
            grain=ResponseCount.QUARTER, start=start, provider_id=provider_id
        ).update(median_hours=every, nonurgent_median_hours=not_urgent)


def stored_medians(since: date | None = None) -> dict[tuple[int, date], tuple]:
    """The kept medians, {(provider, quarter start): (all, not urgent)}, quarters with any."""
    rows = ResponseCount.objects.filter(grain=ResponseCount.QUARTER).exclude(
        median_hours=None, nonurgent_median_hours=None
    )
    if since:
        rows = rows.filter(start__gte=since)
    return {
        (p, s): (a, b)
        for p, s, a, b in rows.values_list(
            "provider_id", "start", "median_hours", "nonurgent_median_hours"
        )
    }


def recount_medians(since: date | None = None) -> dict[tuple[int, date], tuple]:
    """The medians the reference recount (`Medians.of`) gives, keyed like `stored_medians`."""
    spans = _quarters_since(since)
    if Medians.of is None or not spans:
        return {}
    answered = answered_offers()
    every = Medians.of(answered, spans)
    not_urgent = Medians.of(answered.filter(urgent=False), spans)
    out = {}
    for code, _, _ in spans:
        start = date.fromisoformat(code)
        providers = {p for (c, p) in [*every, *not_urgent] if c == code and p is not None}
        for provider_id in providers:
            out[(provider_id, start)] = (
                every.get((code, provider_id)),
                not_urgent.get((code, provider_id)),
            )
    return out


def _quarters_since(since: date | None) -> list[tuple[str, datetime, datetime]]:
    """Each quarter with kept counts from `since` on, as a span for `Medians.of`."""
    starts = ResponseCount.objects.filter(grain=ResponseCount.QUARTER)
    if since:
        starts = starts.filter(start__gte=since)
    starts = starts.order_by("start").values_list("start", flat=True).distinct()
    return [(str(start), *quarter_bounds(start)) for start in starts]


class AnswerMinute(Func):
    """Whole minutes (to the nearest, half up) from `sent_at` to K11's first answer, in the
    database, as `answer_minute` works them out: exact on PostgreSQL; on SQLite from julianday
    to the millisecond."""

    output_field = IntegerField()

    def __init__(self):
        super().__init__(F("counted_answered_at"), F("sent_at"))

    def as_sql(self, compiler, connection, **extra):
        answered, sent = (compiler.compile(e) for e in self.get_source_expressions())
        if connection.vendor == "sqlite":
            sql = (
                f"((CAST(ROUND((julianday({answered[0]}) - julianday({sent[0]})) * 86400000) "
                "AS INTEGER) + 30000) / 60000)"
            )
        else:
            sql = (
                f"CAST(FLOOR((EXTRACT(EPOCH FROM ({answered[0]} - {sent[0]})) * 1000000 "
                "+ 30000000) / 60000000) AS INTEGER)"
            )
        return sql, [*answered[1], *sent[1]]


def recount_times(since: date | None = None) -> dict[tuple, int]:
    """The market's answer-time counts worked out from the offers, keyed (grain, start, urgent,
    minute), from `since` on."""
    out: dict[tuple, int] = Counter()
    for day, urgent, minute, n in _times_grouped(since).values_list(
        "start", "urgent", "minute", "offers"
    ):
        day = as_date(day)
        out[(ResponseCount.DAY, day, bool(urgent), int(minute))] += n
        out[(ResponseCount.QUARTER, quarter_start(day), bool(urgent), int(minute))] += n
    return dict(out)


def stored_times(since: date | None = None) -> dict[tuple, int]:
    rows = AnswerTimeCount.objects.exclude(offers=0)
    if since:
        rows = rows.filter(start__gte=since)
    return {
        (g, s, u, m): n
        for g, s, u, m, n in rows.values_list("grain", "start", "urgent", "minute", "offers")
    }


def _times_grouped(since: date | None):
    offers = answered_offers()
    if since:
        offers = offers.filter(sent_at__gte=local_midnight(since))
    return (
        offers.annotate(start=TruncDate("sent_at", tzinfo=LONDON), minute=AnswerMinute())
        .order_by()
        .values("start", "urgent", "minute")
        .annotate(offers=Count("id"))
    )


def as_date(value) -> date:
    """A date read with a plain cursor or grouped on SQLite may be text."""
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


# --- Recounting --------------------------------------------------------------------------------


def first_open_quarter(as_of: datetime) -> date:
    """The first day of the earliest quarter not closed at `as_of` (closed: ended more than
    CLOSED_AFTER_DAYS before)."""
    return quarter_start(local_day(as_of) - timedelta(days=CLOSED_AFTER_DAYS))


def recount(since: date | None = None) -> dict[Key, dict[str, int]]:
    """The counts worked out from the offers (sent on or after `since`), keyed like the table."""
    out: dict[Key, dict[str, int]] = {}
    for row in _grouped(since):
        day = row.pop("start")
        provider_id = row.pop("provider_id")
        out[(ResponseCount.DAY, day, provider_id)] = row
        for key in (
            (ResponseCount.WEEK, week_start(day), provider_id),
            (ResponseCount.QUARTER, quarter_start(day), provider_id),
        ):
            total = out.setdefault(key, dict.fromkeys(ResponseCount.COLUMNS, 0))
            for name in ResponseCount.COLUMNS:
                total[name] += row[name]
    return out


def stored(since: date | None = None) -> dict[Key, dict[str, int]]:
    """The counts as the table holds them (rows of all zeros left out), keyed like `recount`."""
    rows = ResponseCount.objects.all()
    if since:
        rows = rows.filter(start__gte=since)
    out = {}
    for row in rows.values("grain", "start", "provider_id", *ResponseCount.COLUMNS):
        key = (row.pop("grain"), row.pop("start"), row.pop("provider_id"))
        if any(row.values()):
            out[key] = row
    return out


def rebuild(
    *, as_of: datetime | None = None, everything: bool = False, note_change: bool = True
) -> tuple[date | None, int]:
    """Recount the table from the offers in one transaction: the day rows with one INSERT ...
    SELECT over the offers, the week rows and the quarter rows each with one over the day rows. Every quarter with
    `everything`, else only those not closed at `as_of` (closed quarters never change). Returns
    (the first day rebuilt, or None for all; the rows written). A rebuild reaching a quarter
    closed by the clock records a change to them all (`ClosedQuarterChange`), unless
    `note_change` is False (a migration before that table's own)."""
    since = None if everything else first_open_quarter(as_of or datetime.now(LONDON))
    table = ResponseCount._meta.db_table
    q = connection.ops.quote_name
    names = ResponseCount.COLUMNS
    with transaction.atomic():
        for model in (ResponseCount, AnswerTimeCount):
            existing = model.objects.all()
            if since:
                existing = existing.filter(start__gte=since)
            existing.delete()
        grouped = _grouped(since).annotate(grain=Value(ResponseCount.DAY))
        selected = list(grouped.query.values_select) + list(grouped.query.annotation_select)
        sql, params = grouped.query.sql_with_params()
        quarter = _quarter_sql()
        sums = ", ".join(f"SUM({q(n)})" for n in names)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {q(table)} ({', '.join(q(n) for n in selected)}) {sql}", params
            )  # noqa: S608 - names from the model, values are parameters
            written = max(cursor.rowcount, 0)
            target = ", ".join(q(n) for n in names)
            for grain, start in (
                (ResponseCount.WEEK, _week_sql()),
                (ResponseCount.QUARTER, quarter),
            ):
                by_grain = f"INSERT INTO {q(table)} (provider_id, grain, start, {target}) SELECT provider_id, %s, {start}, {sums} FROM {q(table)} WHERE grain = %s "  # noqa: S608
                by_grain += ("AND start >= %s " if since else "") + f"GROUP BY provider_id, {start}"
                cursor.execute(by_grain, [grain, ResponseCount.DAY] + ([since] if since else []))
                written += max(cursor.rowcount, 0)
            written += _rebuild_times(cursor, since)
        _rebuild_medians(since)
        if note_change and (since is None or since < first_open_quarter(timezone.now())):
            ClosedQuarterChange.objects.create(start=None)
    return since, written


def _quarter_sql() -> str:
    """SQL for the first day of the quarter of a row's `start` (financial quarters start with
    calendar ones: January, April, July, October)."""
    if connection.vendor == "postgresql":
        return "date_trunc('quarter', start)::date"
    return (
        "date(start, 'start of month', '-' || "
        "((CAST(strftime('%%m', start) AS INTEGER) - 1) %% 3) || ' months')"
    )


def _week_sql() -> str:
    """SQL for `week_start` of a day row's `start`: its Monday, or its quarter's first day if
    later (ISO dates compare as text on SQLite)."""
    if connection.vendor == "postgresql":
        return f"GREATEST(date_trunc('week', start)::date, {_quarter_sql()})"
    monday = "date(start, '-' || ((CAST(strftime('%%w', start) AS INTEGER) + 6) %% 7) || ' days')"
    return f"max({monday}, {_quarter_sql()})"


def _rebuild_times(cursor, since: date | None) -> int:
    """K11: the market's answer-time day rows with one INSERT ... SELECT over the offers, its
    quarter rows with one over the day rows. Returns the rows written."""
    table = connection.ops.quote_name(AnswerTimeCount._meta.db_table)
    grouped = _times_grouped(since)
    sql, params = grouped.query.sql_with_params()
    cursor.execute(
        f"INSERT INTO {table} (start, urgent, minute, offers, grain) "  # noqa: S608 - names ours
        f"SELECT start, urgent, minute, offers, %s FROM ({sql}) grouped",
        [ResponseCount.DAY, *params],
    )
    written = max(cursor.rowcount, 0)
    quarter = _quarter_sql()
    by_quarter = (
        f"INSERT INTO {table} (grain, start, urgent, minute, offers) "  # noqa: S608 - names ours
        f"SELECT %s, {quarter}, urgent, minute, SUM(offers) FROM {table} WHERE grain = %s "
    )
    by_quarter += ("AND start >= %s " if since else "") + f"GROUP BY {quarter}, urgent, minute"
    cursor.execute(
        by_quarter, [ResponseCount.QUARTER, ResponseCount.DAY] + ([since] if since else [])
    )
    return written + max(cursor.rowcount, 0)


def rebuild_gaps(*, as_of: datetime | None = None, everything: bool = False) -> int:
    """K12: recount the packages' gap counts from the offers in one transaction, with one INSERT
    ... SELECT over the offers grouped by package and day, for the quarters `rebuild` recounts
    (every one with `everything`). Returns the rows written."""
    since = None if everything else first_open_quarter(as_of or datetime.now(LONDON))
    table = connection.ops.quote_name(GapCount._meta.db_table)
    sql, params = _gaps_grouped(since).query.sql_with_params()
    quarter = _quarter_sql()
    names = ", ".join(GapCount.COLUMNS)
    sums = ", ".join(f"SUM({n})" for n in GapCount.COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        existing = GapCount.objects.all()
        (existing.filter(start__gte=since) if since else existing).delete()
        cursor.execute(
            f"INSERT INTO {table} (package_id, ward_id, service_level, start, {names}) "  # noqa: S608 - names ours
            f"SELECT package_id, gap_ward_id, gap_service_level, {quarter}, {sums} "
            f"FROM ({sql}) grouped GROUP BY package_id, gap_ward_id, gap_service_level, {quarter}",
            params,
        )
        return max(cursor.rowcount, 0)


def rebuild_wards(*, as_of: datetime | None = None, everything: bool = False) -> int:
    """W5: recount the packages' day counts for ward health from the offers in one transaction,
    with one INSERT ... SELECT over the offers grouped by package and day, for the quarters
    `rebuild` recounts (every one with `everything`). Returns the rows written."""
    since = None if everything else first_open_quarter(as_of or datetime.now(LONDON))
    table = connection.ops.quote_name(WardDayCount._meta.db_table)
    sql, params = _wards_grouped(since).query.sql_with_params()
    names = ", ".join(WardDayCount.COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        existing = WardDayCount.objects.all()
        (existing.filter(day__gte=since) if since else existing).delete()
        cursor.execute(
            f"INSERT INTO {table} (package_id, ward_id, day, {names}) "  # noqa: S608 - names ours
            f"SELECT package_id, counted_ward_id, day, {names} FROM ({sql}) grouped",
            params,
        )
        return max(cursor.rowcount, 0)


def ward_offer_counts() -> dict:
    """W5's counts of an offers queryset, to annotate: `sent` every offer; `counted` those K1
    counts (answered or No Response), `responded` those answered and `made` the Offers Made, each
    leaving out an offer whose challenge was upheld (K10). What `ward_columns` keeps per offer."""
    kept = ~Exclusion.of_offer()
    return {
        "sent": Count("id"),
        "counted": Count("id", filter=Q(kept, placement_response__in=COUNTED_RESPONSES)),
        "responded": Count("id", filter=Q(kept, placement_response__in=ANSWERED)),
        "made": Count("id", filter=Q(kept, placement_response=PlacementResponse.OFFER_MADE)),
    }


def _wards_grouped(since: date | None):
    """W5: every offer's ward health counts per package and Europe/London day sent (one grouped
    query)."""
    offers = Offer.objects.all()
    if since:
        offers = offers.filter(sent_at__gte=local_midnight(since))
    return (
        offers.annotate(
            day=TruncDate("sent_at", tzinfo=LONDON), counted_ward_id=F("package__ward_id")
        )
        .order_by()
        .values("package_id", "counted_ward_id", "day")
        .annotate(**ward_offer_counts())
    )


def recount_wards(since: date | None = None) -> dict[tuple[date, int], dict[str, int]]:
    """W5's day counts worked out from the offers, keyed (day, package)."""
    out = {}
    for row in _wards_grouped(since):
        key = (as_date(row.pop("day")), row.pop("package_id"))
        out[key] = {"ward_id": row.pop("counted_ward_id"), **row}
    return out


def stored_wards(since: date | None = None) -> dict[tuple[date, int], dict[str, int]]:
    """W5's day counts as the table holds them (rows of all zeros left out)."""
    return _stored(WardDayCount, "day", ("ward_id",), since)


def _stored(model, start: str, copied: tuple[str, ...], since: date | None) -> dict:
    """A kept per-package table's rows keyed (`start`, package), with their `copied` columns and
    counts, from `since` (rows of all zeros left out)."""
    rows = model.objects.all()
    if since:
        rows = rows.filter(**{f"{start}__gte": since})
    out = {}
    for row in rows.values(start, "package_id", *copied, *model.COLUMNS):
        key = (row.pop(start), row.pop("package_id"))
        if any(row[name] for name in model.COLUMNS):
            out[key] = row
    return out


def _gaps_grouped(since: date | None):
    """K12: every offer's counts per package and Europe/London day sent (one grouped query)."""
    declined = Q(placement_response=PlacementResponse.UNABLE_TO_ACCEPT)
    counted = {
        "offers": Count("id"),
        "declined": Count("id", filter=declined),
        "made": Count("id", filter=Q(placement_response=PlacementResponse.OFFER_MADE)),
    }
    counted |= {
        f"declined_{code}": Count("id", filter=declined & Q(reason=code))
        for code in DeclineReason.values
    }
    offers = Offer.objects.all()
    if since:
        offers = offers.filter(sent_at__gte=local_midnight(since))
    return (
        offers.annotate(
            start=TruncDate("sent_at", tzinfo=LONDON),
            # Copied onto the gap rows; named, so the rebuild's outer SELECT can name them.
            gap_ward_id=F("package__ward_id"),
            gap_service_level=F("package__service_level"),
        )
        .order_by()
        .values("package_id", "gap_ward_id", "gap_service_level", "start")
        .annotate(**counted)
    )


def recount_gaps(since: date | None = None) -> dict[tuple[date, int], dict[str, int]]:
    """K12's gap counts worked out from the offers, keyed (quarter start, package)."""
    out: dict[tuple[date, int], dict[str, int]] = {}
    for row in _gaps_grouped(since):
        key = (quarter_start(as_date(row.pop("start"))), row.pop("package_id"))
        total = out.setdefault(
            key,
            {
                "ward_id": row["gap_ward_id"],
                "service_level": row["gap_service_level"],
                **dict.fromkeys(GapCount.COLUMNS, 0),
            },
        )
        for name in GapCount.COLUMNS:
            total[name] += row[name]
    return out


def stored_gaps(since: date | None = None) -> dict[tuple[date, int], dict[str, int]]:
    """K12's gap counts as the table holds them (rows of all zeros left out)."""
    return _stored(GapCount, "start", ("ward_id", "service_level"), since)


def _rebuild_medians(since: date | None) -> None:
    """K11: every rebuilt quarter row's medians from the reference recount (one window query for
    all the quarters, and one for the offers not urgent)."""
    medians = recount_medians(since)
    rows = ResponseCount.objects.filter(grain=ResponseCount.QUARTER)
    if since:
        rows = rows.filter(start__gte=since)
    changed = []
    for row in rows.only("pk", "provider_id", "start"):
        row.median_hours, row.nonurgent_median_hours = medians.get(
            (row.provider_id, row.start), (None, None)
        )
        if row.median_hours is not None or row.nonurgent_median_hours is not None:
            changed.append(row)
    ResponseCount.objects.bulk_update(
        changed, ["median_hours", "nonurgent_median_hours"], batch_size=2000
    )


def _grouped(since: date | None):
    """The offers' counts per provider and Europe/London day sent (one grouped query); K10's
    left-out offers in `excluded` alone."""
    kept = Q(counted_excluded=False)
    responded = Q(
        placement_response__in=[PlacementResponse.OFFER_MADE, PlacementResponse.UNABLE_TO_ACCEPT]
    )
    made = Q(placement_response=PlacementResponse.OFFER_MADE)
    filters = {
        "responded": responded & kept,
        "no_response": Q(placement_response=PlacementResponse.NO_RESPONSE) & kept,
        "offer_made": made & kept,
        "awarded": made & Q(outcome=Outcome.AWARDED) & kept,
        "excluded": Q(counted_excluded=True),
    }
    counts = {name: Count("id", filter=f) for name, f in filters.items()}
    counts |= {f"urgent_{n}": Count("id", filter=f & Q(urgent=True)) for n, f in filters.items()}
    offers = Offer.objects.filter(placement_response__in=COUNTED_RESPONSES).annotate(
        counted_excluded=Exclusion.of_offer()
    )
    if since:
        offers = offers.filter(sent_at__gte=datetime.combine(since, datetime.min.time(), LONDON))
    return (
        offers.annotate(start=TruncDate("sent_at", tzinfo=LONDON))
        .order_by()
        .values("provider_id", "start")
        .annotate(**counts)
    )


@receiver(post_save, sender=Provider, dispatch_uid="closed-quarter-provider-saved")
def _provider_saved(sender, instance: Provider, created: bool, raw: bool = False, **kwargs) -> None:
    """A provider's reference and name show beside its figures in every quarter: a change to one
    is a change to the closed quarters kept (a new provider has no figures in them)."""
    if not created and not raw:
        ClosedQuarterChange.objects.create(start=None)
