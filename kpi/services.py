"""Every write in the KPI app (STYLE 1): returns, trigger escalation and resets, settings, risk
profiles and action plans. Each owns its transaction and writes the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from core.audit import audit_record
from core.errors import StateConflict
from notifications.models import NotificationKind
from notifications.outbox import Outgoing, notifications_enqueue
from providers.models import PdpsStatus, Provider

from .models import (
    ActionPlan,
    DiscountedQuarter,
    FirstDueQuarter,
    KpiReturn,
    KpiSettings,
    KpiTrigger,
    RiskProfile,
    TriggerReset,
)
from .quarters import LONDON, Quarter, quarters_between
from .returns import tally_visits, visit_rows


class KpiError(StateConflict):
    """The state forbids this (the API answers 409 with this message)."""


# --- K5, K6: returns -----------------------------------------------------------------------------


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


def kpi_return_submit(
    *,
    actor,
    provider: Provider,
    quarter: Quarter,
    file: IO,
    file_name: str = "",
    now: datetime | None = None,
) -> KpiReturn:
    """Read the visit file as a stream, add up the K5 figures and save the return.

    Raises KpiError for a quarter not yet ended or already returned, and
    `returns.ReturnRejected` (nothing saved) when any row is bad.
    """
    now = now or timezone.now()
    if not quarter.has_ended(now):
        raise KpiError(
            f"{quarter} ({quarter.label()}) has not ended yet; only ended quarters can be returned."
        )
    if KpiReturn.objects.filter(provider=provider, quarter=str(quarter)).exists():
        raise KpiError(f"{provider.name} has already made its return for {quarter}.")
    rules = KpiSettings.load()
    tally = tally_visits(
        visit_rows(file, file_name),
        quarter=quarter,
        late_start_minutes=rules.late_start_minutes,
        travel_allowance_minutes=rules.travel_allowance_minutes,
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


# --- K6, K7: what is owed, and the triggers ------------------------------------------------------


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


@dataclass
class EscalationResult:
    providers: int = 0
    created: int = 0
    by_level: dict[int, int] | None = None

    def __str__(self) -> str:
        levels = ", ".join(
            f"{n} at level {lvl}" for lvl, n in sorted((self.by_level or {}).items())
        )
        return f"{self.created} trigger(s) raised for {self.providers} provider(s)" + (
            f" ({levels})" if levels else ""
        )


def _breaches(as_of: datetime, rules: KpiSettings) -> dict[int, list[Quarter]]:
    """Per provider id, the owed quarters with no return by the due date or a late one, and no
    trigger yet. A handful of queries, whatever the number of providers."""
    discounted = set(DiscountedQuarter.objects.values_list("quarter", flat=True))
    overrides = dict(FirstDueQuarter.objects.values_list("provider_id", "quarter"))
    on_time = set(
        KpiReturn.objects.filter(late=False, submitted_at__lte=as_of).values_list(
            "provider_id", "quarter"
        )
    )
    raised = set(KpiTrigger.objects.values_list("provider_id", "quarter"))
    out: dict[int, list[Quarter]] = {}
    for provider in Provider.objects.exclude(pdps_status=PdpsStatus.LEFT).only("pk", "joined_on"):
        owed = owed_quarters(
            provider,
            as_of=as_of,
            discounted=discounted,
            override=overrides.get(provider.pk),
            due_days=rules.return_due_days,
        )
        todo = [q for q in owed if (provider.pk, str(q)) not in on_time | raised]
        if todo:
            out[provider.pk] = todo
    return out


def _raise_for_provider(provider_id: int, quarters: list[Quarter], as_of: datetime) -> list[int]:
    """Raise this provider's new triggers, in quarter order, under a lock on its row so that two
    workers at once cannot both count the same level. Each new trigger's e-mail is recorded in the
    outbox in the same transaction and sent after commit (K7, P7). Returns the new triggers."""
    created = []
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider_id)
        existing = set(
            KpiTrigger.objects.filter(provider=provider).values_list("quarter", flat=True)
        )
        active = KpiTrigger.objects.filter(provider=provider, reset__isnull=True).count()
        returned = dict(
            KpiReturn.objects.filter(provider=provider, submitted_at__lte=as_of).values_list(
                "quarter", "late"
            )
        )
        now = timezone.now()
        for quarter in quarters:
            code = str(quarter)
            if code in existing or returned.get(code) is False:
                continue
            active += 1
            trigger = KpiTrigger.objects.create(
                provider=provider,
                quarter=code,
                level=min(active, 3),
                missing=code not in returned,
                created_at=now,
                as_of=as_of,
            )
            audit_record(
                actor=None,
                action="kpi.trigger",
                obj=trigger,
                after={
                    "provider": provider.ref,
                    "quarter": code,
                    "level": trigger.level,
                    "missing": trigger.missing,
                },
            )
            created.append(trigger)
        notifications_enqueue(trigger_email(trigger) for trigger in created)
    return created


def kpi_triggers_escalate(*, as_of: datetime) -> EscalationResult:
    """K7: raise one trigger per late or missing return whose due date passed by `as_of`.

    Idempotent: a provider's quarter that has a trigger is never raised again (the unique
    constraint is the backstop), so running twice, or on two workers at once, raises nobody twice.
    """
    rules = KpiSettings.load()
    result = EscalationResult(by_level={})
    for provider_id, quarters in _breaches(as_of, rules).items():
        triggers = _raise_for_provider(provider_id, quarters, as_of)
        if triggers:
            result.providers += 1
        for trigger in triggers:
            result.created += 1
            result.by_level[trigger.level] = result.by_level.get(trigger.level, 0) + 1
    return result


@transaction.atomic
def kpi_triggers_reset(
    *, actor, provider: Provider, reason: str, now: datetime | None = None
) -> TriggerReset:
    """K7: a contract manager clears the provider's trigger count; the triggers stay on record."""
    if not reason.strip():
        raise KpiError("Say why the trigger count is reset.")
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    active = KpiTrigger.objects.filter(provider=provider, reset__isnull=True)
    quarters = sorted(active.values_list("quarter", flat=True))
    if not quarters:
        raise KpiError(f"{provider.name} has no triggers to reset.")
    reset = TriggerReset.objects.create(
        provider=provider, at=now or timezone.now(), by=actor, reason=reason.strip()
    )
    active.update(reset=reset)
    audit_record(
        actor=actor,
        action="kpi.trigger_reset",
        obj=reset,
        before={"provider": provider.ref, "triggers": quarters, "level": min(len(quarters), 3)},
        after={"provider": provider.ref, "level": 0},
        reason=reason.strip(),
    )
    return reset


def trigger_email(trigger: KpiTrigger) -> Outgoing:
    """K7: the trigger's e-mail, rendered now. Levels 1 and 2 go to the provider (it sees them on its
    notifications page); level 3 goes to the council's contract managers, so it names no provider."""
    context = {"trigger": trigger, "base_url": settings.PORTAL_BASE_URL}
    return Outgoing(
        about=trigger,
        kind=NotificationKind.TRIGGER,
        to=trigger_recipients(trigger),
        subject=render_to_string("kpi/email/trigger_subject.txt", context).strip(),
        body=render_to_string("kpi/email/trigger_body.txt", context),
        provider_id=trigger.provider_id if trigger.level < 3 else None,
    )


def trigger_recipients(trigger: KpiTrigger) -> list[str]:
    """Level 1: the provider's contact and its organisation users; level 2: its senior manager;
    level 3: the council's contract managers."""
    from providers.models import Role, User

    provider = trigger.provider
    if trigger.level == 1:
        users = User.objects.filter(provider=provider, role=Role.PROVIDER_ORG, is_active=True)
        emails = [provider.contact_email, *users.values_list("email", flat=True)]
    elif trigger.level == 2:
        emails = [provider.senior_manager_email or provider.contact_email]
    else:
        emails = User.objects.filter(role=Role.CONTRACT_MANAGER, is_active=True).values_list(
            "email", flat=True
        )
    return sorted({e for e in emails if e})


# --- K6 settings, K9 risk profiles and action plans ----------------------------------------------


@transaction.atomic
def discounted_quarter_add(*, actor, quarter: Quarter, reason: str) -> DiscountedQuarter:
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
def discounted_quarter_remove(*, actor, item: DiscountedQuarter) -> None:
    audit_record(
        actor=actor, action="kpi.quarter_undiscount", obj=item, before={"quarter": item.quarter}
    )
    item.delete()


@transaction.atomic
def first_due_quarter_set(
    *, actor, provider: Provider, quarter: Quarter | None, reason: str = ""
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


@transaction.atomic
def risk_profile_save(*, actor, provider: Provider, level: str, summary: str) -> RiskProfile:
    profile = RiskProfile.objects.filter(provider=provider).first()
    before = {"level": profile.level, "summary": profile.summary} if profile else None
    profile = profile or RiskProfile(provider=provider)
    profile.level, profile.summary, profile.updated_by = level, summary.strip(), actor
    profile.full_clean()
    profile.save()
    audit_record(
        actor=actor,
        action="kpi.risk_profile",
        obj=profile,
        before=before,
        after={"level": profile.level, "summary": profile.summary},
    )
    return profile


@transaction.atomic
def action_plan_add(*, actor, provider: Provider, action: str, due_on) -> ActionPlan:
    plan = ActionPlan(provider=provider, action=action.strip(), due_on=due_on, created_by=actor)
    plan.full_clean()
    plan.save()
    audit_record(
        actor=actor,
        action="kpi.action_plan",
        obj=plan,
        after={"provider": provider.ref, "action": plan.action, "due_on": str(due_on)},
    )
    return plan


@transaction.atomic
def action_plan_set_status(*, actor, plan: ActionPlan, status: str) -> ActionPlan:
    before = {"status": plan.status}
    plan.status = status
    plan.full_clean()
    plan.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="kpi.action_plan_status",
        obj=plan,
        before=before,
        after={"status": status},
    )
    return plan
