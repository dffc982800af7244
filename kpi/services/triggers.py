"""K7: triggers raised for late or missing returns, their e-mails through the outbox, and their
reset by a contract manager."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from core.audit import audit_record
from notifications.models import NotificationKind
from notifications.outbox import Outgoing, notifications_enqueue
from providers.models import PdpsStatus, Provider, Role, User

from ..models import (
    DiscountedQuarter,
    FirstDueQuarter,
    KpiReturn,
    KpiSettings,
    KpiTrigger,
    TriggerReset,
)
from ..quarters import Quarter
from .errors import KpiError
from .returns import owed_quarters


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


def _raise_for_provider(
    provider_id: int, quarters: list[Quarter], as_of: datetime
) -> list[KpiTrigger]:
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
    *, actor: User, provider: Provider, reason: str, now: datetime | None = None
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
