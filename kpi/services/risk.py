"""K9: the contract manager's risk profile and action plan for a provider."""

from __future__ import annotations

from django.db import transaction

from core.audit import audit_record
from providers.models import Provider, User

from ..models import ActionPlan, RiskProfile


@transaction.atomic
def risk_profile_save(*, actor: User, provider: Provider, level: str, summary: str) -> RiskProfile:
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
def action_plan_add(*, actor: User, provider: Provider, action: str, due_on) -> ActionPlan:
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
def action_plan_set_status(*, actor: User, plan: ActionPlan, status: str) -> ActionPlan:
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
