"""The response counts (`ResponseCount`, issue 13): K1 and K4 counted per provider per day and per
quarter, moved in the same transaction as every write that changes what an offer counts as.

An offer counts by its state (`STATE_FIELDS`, then whether K10 left it out): the provider, the
Europe/London day it was sent (and so its quarter), urgent or not, its placement response, its
outcome, and whether its challenge was upheld (then it counts as `excluded` and in no other count,
as K1 counts it). Every write moves the counts from the offers' state before to their state after
(`shift`):

- `Offer.save()` does it for one offer (respond, award, anything saved through the ORM);
- `transitions.settle_offers` for its UPDATE (expire, award's losers, withdraw, cancel);
- `distribution.auto_answer_declared` for P12's UPDATE;
- `record_created` for offers written with `bulk_create` (the demo's history);
- `exclude` when K10's `challenge_decide` upholds a challenge (kpi, above brokerage, calls it);
- `rebuild` recounts from the offers (the `rebuild_kpi_summary` command), leaving closed quarters.

Each shift is one upsert (`INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`) of the rows
it moves, in key order so two transactions never wait on each other in a circle; inside
`deferred()` (a service that settles offers in several steps) the shifts add up and are written
once at the end. A new offer, open and unanswered, counts nothing, so the distribution's INSERT
moves no count.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import BooleanField, Count, Expression, Q, Value
from django.db.models.functions import TruncDate

from .models import Offer, Outcome, PlacementResponse, ResponseCount

LONDON = ZoneInfo("Europe/London")
COUNTED_RESPONSES = (
    PlacementResponse.OFFER_MADE,
    PlacementResponse.UNABLE_TO_ACCEPT,
    PlacementResponse.NO_RESPONSE,
)
STATE_FIELDS = ("provider_id", "sent_at", "urgent", "placement_response", "outcome")
# A quarter stays open to change for K10's challenges (28 days after its end) and the last
# deadlines of its offers; after that a rebuild leaves it as it is (closed quarters never change).
CLOSED_AFTER_DAYS = 35
State = tuple  # (provider_id, sent_at, urgent, placement_response, outcome, excluded)
Key = tuple[str, date, int]  # (grain, start, provider_id)

_local = threading.local()


class Exclusion:
    """K10: whether an offer is left out of K1 (its challenge upheld), as an expression over an
    offers queryset. Challenges live in kpi, above brokerage (brokerage never imports kpi), so kpi
    gives the expression when it is ready (`kpi.apps`); without it no offer is left out."""

    expression = None  # a callable giving a fresh boolean expression (an Exists over challenges)

    @classmethod
    def of_offer(cls) -> Expression:
        if cls.expression is None:
            return Value(False, output_field=BooleanField())
        return cls.expression()


def quarter_start(day: date) -> date:
    """The first day of the UK financial quarter `day` is in (Q1 April-June ... Q4 January-March)."""
    month = (day.month - 4) % 12 // 3 * 3 + 4
    year = day.year if day.month >= 4 else day.year - 1
    return date(year + 1, month - 12, 1) if month > 12 else date(year, month, 1)


def local_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def columns(state: State) -> list[str]:
    """The counts one offer in `state` adds to (none while open and unanswered, or closed before
    response): K1's responded / no response, K4's offer made / awarded, or, left out after an
    upheld challenge (K10), `excluded` alone; each also `urgent_`."""
    _, _, urgent, response, outcome, excluded = state
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


def keys(state: State) -> tuple[Key, Key]:
    provider_id, sent_at = state[0], state[1]
    day = local_day(sent_at)
    return (ResponseCount.DAY, day, provider_id), (
        ResponseCount.QUARTER,
        quarter_start(day),
        provider_id,
    )


def moves(before: Iterable[State], after: Iterable[State]) -> dict[Key, Counter]:
    """The change in each count from offers in states `before` to the same offers in `after`."""
    delta: dict[Key, Counter] = defaultdict(Counter)
    for sign, states in ((-1, before), (1, after)):
        for state in states:
            names = columns(state)
            if not names:
                continue
            for key in keys(state):
                for name in names:
                    delta[key][name] += sign
    return {k: c for k, c in delta.items() if any(c.values())}


def shift(before: Iterable[State], after: Iterable[State]) -> None:
    """Move the counts from `before` to `after` (now, or at the end of `deferred()`)."""
    delta = moves(before, after)
    if not delta:
        return
    pending = getattr(_local, "pending", None)
    if pending is not None:
        for key, counter in delta.items():
            pending[key].update(counter)
        return
    _write(delta)


@contextmanager
def deferred() -> Iterator[None]:
    """Add up the shifts made inside and write them once, in key order, at the end (inside the
    caller's transaction). Nested uses write at the outermost end."""
    if getattr(_local, "pending", None) is not None:
        yield
        return
    _local.pending = defaultdict(Counter)
    try:
        yield
        pending = _local.pending
    finally:
        _local.pending = None
    _write({k: c for k, c in pending.items() if any(c.values())})


def _write(delta: dict[Key, Counter]) -> None:
    if not delta:
        return
    table = ResponseCount._meta.db_table
    names = ResponseCount.COLUMNS
    q = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * (3 + len(names)))
    values, params = [], []
    for (grain, start, provider_id), counter in sorted(delta.items()):
        values.append(f"({placeholders})")
        params += [provider_id, grain, start, *(counter.get(n, 0) for n in names)]
    updates = ", ".join(f"{q(n)} = {q(table)}.{q(n)} + excluded.{q(n)}" for n in names)
    target = ", ".join(q(n) for n in names)
    sql = (
        f"INSERT INTO {q(table)} (provider_id, grain, start, {target}) VALUES {', '.join(values)} "  # noqa: S608 - names from the model, values are parameters
    )
    sql += f"ON CONFLICT (grain, start, provider_id) DO UPDATE SET {updates}"
    with transaction.atomic(), connection.cursor() as cursor:
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
    return offers.annotate(counted_excluded=Exclusion.of_offer()).values_list(
        *first, *STATE_FIELDS, "counted_excluded"
    )


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
        .order_by("pk")
        .values_list(*STATE_FIELDS)
    )
    rows = list(rows)
    shift([(*row, False) for row in rows], [(*row, True) for row in rows])


def changed(state: State, changes: dict) -> State:
    """`state` after an UPDATE that sets `changes` (only placement_response and outcome move a
    count; the rest of an offer's state, K10's exclusion included, never changes by one)."""
    provider_id, sent_at, urgent, response, outcome, excluded = state
    return (
        provider_id,
        sent_at,
        urgent,
        changes.get("placement_response", response),
        changes.get("outcome", outcome),
        excluded,
    )


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
        quarter = out.setdefault(
            (ResponseCount.QUARTER, quarter_start(day), provider_id),
            dict.fromkeys(ResponseCount.COLUMNS, 0),
        )
        for name in ResponseCount.COLUMNS:
            quarter[name] += row[name]
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


def rebuild(*, as_of: datetime | None = None, everything: bool = False) -> tuple[date | None, int]:
    """Recount the table from the offers in one transaction: the day rows with one INSERT ...
    SELECT over the offers, the quarter rows with one over the day rows. Every quarter with
    `everything`, else only those not closed at `as_of` (closed quarters never change). Returns
    (the first day rebuilt, or None for all; the rows written)."""
    since = None if everything else first_open_quarter(as_of or datetime.now(LONDON))
    table = ResponseCount._meta.db_table
    q = connection.ops.quote_name
    names = ResponseCount.COLUMNS
    with transaction.atomic():
        existing = ResponseCount.objects.all()
        if since:
            existing = existing.filter(start__gte=since)
        existing.delete()
        grouped = _grouped(since).annotate(grain=Value(ResponseCount.DAY))
        selected = list(grouped.query.values_select) + list(grouped.query.annotation_select)
        sql, params = grouped.query.sql_with_params()
        if connection.vendor == "postgresql":
            quarter = "date_trunc('quarter', start)::date"
        else:  # financial quarters start with calendar ones: January, April, July, October
            quarter = (
                "date(start, 'start of month', '-' || "
                "((CAST(strftime('%%m', start) AS INTEGER) - 1) %% 3) || ' months')"
            )
        sums = ", ".join(f"SUM({q(n)})" for n in names)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {q(table)} ({', '.join(q(n) for n in selected)}) {sql}", params
            )  # noqa: S608 - names from the model, values are parameters
            written = max(cursor.rowcount, 0)
            target = ", ".join(q(n) for n in names)
            by_quarter = f"INSERT INTO {q(table)} (provider_id, grain, start, {target}) SELECT provider_id, %s, {quarter}, {sums} FROM {q(table)} WHERE grain = %s "  # noqa: S608
            by_quarter += ("AND start >= %s " if since else "") + f"GROUP BY provider_id, {quarter}"
            cursor.execute(
                by_quarter, [ResponseCount.QUARTER, ResponseCount.DAY] + ([since] if since else [])
            )
            written += max(cursor.rowcount, 0)
    return since, written


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
