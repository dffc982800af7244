"""K5, K6: a provider's quarterly return; the quarters it owes one for (the same count the trigger
escalation makes, K7), and the contract manager's settings that change them (discounted quarters,
a provider's first due quarter)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_record
from providers.models import Provider, User

from ..models import DiscountedQuarter, FirstDueQuarter, KpiReturn, KpiSettings
from ..quarters import LONDON, Quarter, quarters_between
from ..returns import tally_visits, visit_rows
from .errors import KpiError


def _return_snapshot(kpi_return: KpiReturn) -> dict:
    return {
        "provider": kpi_return.provider.ref,
        "quarter": kpi_return.quarter,
        "late": kpi_return.late,
        "visits": kpi_return.visits,
        "delivered": kpi_return.delivered,
        "missed": kpi_return.missed,
        "late_starts": kpi_return.late_starts,
        "length_compliant": kpi_return.length_compliant,
    }


def check_quarter_open(provider: Provider, quarter: Quarter, now: datetime) -> None:
    """KpiError unless `quarter` has ended by `now` and `provider` has not yet returned it."""
    if not quarter.has_ended(now):
        raise KpiError(
            f"{quarter} ({quarter.label()}) has not ended yet; only ended quarters can be returned."
        )
    if KpiReturn.objects.filter(provider=provider, quarter=str(quarter)).exists():
        raise KpiError(f"{provider.name} has already made its return for {quarter}.")


def kpi_return_submit(
    *,
    actor: User,
    provider: Provider,
    quarter: Quarter,
    file: IO,
    file_name: str = "",
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> KpiReturn:
    """Read the visit file as a stream, add up the K5 figures and save the return.

    Raises KpiError for a quarter not yet ended or already returned, and
    `returns.ReturnRejected` (nothing saved) when any row is bad or the file breaks an upload
    limit. `progress` is told the rows read so far (`tally_visits`).
    """
    now = now or timezone.now()
    check_quarter_open(provider, quarter, now)
    rules = KpiSettings.load()
    tally = tally_visits(
        visit_rows(file, file_name),
        quarter=quarter,
        late_start_minutes=rules.late_start_minutes,
        travel_allowance_minutes=rules.travel_allowance_minutes,
        progress=progress,
    )
    compliance = tally.length_compliance
    try:
        with transaction.atomic():
            kpi_return = KpiReturn.objects.create(
                provider=provider,
                quarter=str(quarter),
                submitted_at=now,
                submitted_by=actor,
                file_name=file_name[:255],
                late=now.astimezone(LONDON).date() > quarter.due_date(rules.return_due_days),
                visits=tally.visits,
                delivered=tally.delivered,
                missed=tally.missed,
                late_starts=tally.late_starts,
                length_compliant=tally.length_compliant,
                length_compliance=None
                if compliance is None
                else Decimal(str(round(compliance, 4))),
            )
            audit_record(
                actor=actor, action="kpi.return", obj=kpi_return, after=_return_snapshot(kpi_return)
            )
    except IntegrityError as exc:  # a second upload of the same quarter won the race
        raise KpiError(f"{provider.name} has already made its return for {quarter}.") from exc
    return kpi_return


def first_due_quarter(provider: Provider, override: str | None = None) -> Quarter:
    """K6: the override if the contract manager set one, else the first full quarter after joining."""
    if override:
        return Quarter.parse(override)
    return Quarter.first_full_after(provider.joined_on)


def owed_quarters(
    provider: Provider,
    *,
    as_of: datetime,
    discounted: set[str],
    override: str | None,
    due_days: int,
    ended_only: bool = False,
) -> list[Quarter]:
    """Quarters from the provider's first due one whose due date passed by `as_of`, less discounted.

    With `ended_only`, every quarter that has ended instead: a return may be made (and is owed)
    from the day its quarter ends, before it is due (K5, K6)."""
    today = as_of.astimezone(LONDON).date()
    last = Quarter.containing(today).previous()
    while not ended_only and last.due_date(due_days) >= today:
        last = last.previous()
    first = first_due_quarter(provider, override)
    return [q for q in quarters_between(first, last) if str(q) not in discounted]


@dataclass(frozen=True)
class OwedReturn:
    """A quarter a provider owes a return for, and the last day it is on time (K6)."""

    quarter: Quarter
    due_on: date
    overdue: bool


@dataclass(frozen=True)
class ReturnsOwed:
    """What a provider owes now (oldest first), and the next quarter it will owe (not yet ended)."""

    owed: list[OwedReturn]
    upcoming: OwedReturn


def returns_owed(provider: Provider, *, now: datetime | None = None) -> ReturnsOwed:
    """K6: the ended quarters `provider` has not yet returned, from its first due quarter (the
    override, else the first full quarter after joining the PDPS), less discounted quarters; each
    with its due date. The same `owed_quarters` the trigger escalation counts (K7)."""
    now = now or timezone.now()
    rules = KpiSettings.load()
    discounted = set(DiscountedQuarter.objects.values_list("quarter", flat=True))
    override = (
        FirstDueQuarter.objects.filter(provider=provider).values_list("quarter", flat=True).first()
    )
    returned = set(KpiReturn.objects.filter(provider=provider).values_list("quarter", flat=True))
    today = now.astimezone(LONDON).date()

    def owed_return(quarter: Quarter) -> OwedReturn:
        due_on = quarter.due_date(rules.return_due_days)
        return OwedReturn(quarter, due_on, overdue=today > due_on)

    ended = owed_quarters(
        provider,
        as_of=now,
        discounted=discounted,
        override=override,
        due_days=rules.return_due_days,
        ended_only=True,
    )
    upcoming = max(Quarter.containing(today), first_due_quarter(provider, override))
    while str(upcoming) in discounted:
        upcoming = upcoming.next()
    return ReturnsOwed(
        owed=[owed_return(q) for q in ended if str(q) not in returned],
        upcoming=owed_return(upcoming),
    )


@transaction.atomic
def discounted_quarter_add(*, actor: User, quarter: Quarter, reason: str) -> DiscountedQuarter:
    if not reason.strip():
        raise KpiError("Say why the quarter is discounted.")
    item, created = DiscountedQuarter.objects.get_or_create(
        quarter=str(quarter), defaults={"reason": reason.strip(), "created_by": actor}
    )
    if not created:
        raise KpiError(f"{quarter} is already discounted.")
    audit_record(
        actor=actor,
        action="kpi.quarter_discount",
        obj=item,
        after={"quarter": item.quarter},
        reason=item.reason,
    )
    return item


@transaction.atomic
def discounted_quarter_remove(*, actor: User, item: DiscountedQuarter) -> None:
    audit_record(
        actor=actor, action="kpi.quarter_undiscount", obj=item, before={"quarter": item.quarter}
    )
    item.delete()


@transaction.atomic
def first_due_quarter_set(
    *, actor: User, provider: Provider, quarter: Quarter | None, reason: str = ""
) -> None:
    """Override (or, with None, go back to the default) the first quarter a provider owes."""
    before = (
        FirstDueQuarter.objects.filter(provider=provider).values_list("quarter", flat=True).first()
    )
    if quarter is None:
        FirstDueQuarter.objects.filter(provider=provider).delete()
    else:
        FirstDueQuarter.objects.update_or_create(
            provider=provider, defaults={"quarter": str(quarter), "reason": reason}
        )
    audit_record(
        actor=actor,
        action="kpi.first_due_quarter",
        obj=provider,
        before={"first_due": before},
        after={"first_due": str(quarter) if quarter else None},
        reason=reason,
    )
