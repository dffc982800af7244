"""The portal settings administrators change without a deploy (P6, P10, K1, L1): one service
behind the settings page and `PATCH /api/v1/settings/`, each change audited (I4)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from .audit import audit_record
from .errors import InvalidInput, NotAllowed
from .models import PortalSettings

HOURS = ("standard_deadline_hours", "urgent_deadline_hours")
REMINDER_HOURS = ("reminder_hours_standard", "reminder_hours_urgent")
WEIGHTS = ("weight_response_rate", "weight_quality", "weight_market_share", "weight_start")
FLAGS = ("kpi_exclude_urgent",)
# What the page and API may change (API.md "Settings"), in the order they are shown.
EDITABLE = (*HOURS, *REMINDER_HOURS, *WEIGHTS, *FLAGS)
MAX_HOURS = 24 * 28
MAX_WEIGHT = Decimal(100)


def may_change_settings(user) -> bool:
    """Administrators only (SPEC: "administrator: users, settings")."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (getattr(user, "role", "") == "admin" or user.is_superuser)
    )


def settings_values(rules: PortalSettings | None = None) -> dict:
    rules = rules or PortalSettings.load()
    return {
        name: float(getattr(rules, name)) if name in WEIGHTS else getattr(rules, name)
        for name in EDITABLE
    }


def _whole_hours(name: str, value, low: int, errors: dict) -> int | None:
    if isinstance(value, bool):
        errors[name] = ["Give a whole number of hours."]
        return None
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        errors[name] = ["Give a whole number of hours."]
        return None
    if not low <= number <= MAX_HOURS:
        errors[name] = [f"Give a number of hours from {low} to {MAX_HOURS}."]
        return None
    return number


def _weight(name: str, value, errors: dict) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        errors[name] = ["Give a weight as a number, such as 1 or 0.5."]
        return None
    if isinstance(value, bool) or not number.is_finite() or not 0 <= number <= MAX_WEIGHT:
        errors[name] = [f"Give a weight from 0 to {MAX_WEIGHT}."]
        return None
    return number.quantize(Decimal("0.01"))


def _flag(name: str, value, errors: dict) -> bool | None:
    if isinstance(value, bool):
        return value
    if str(value).lower() in {"true", "1", "yes", "on"}:
        return True
    if str(value).lower() in {"false", "0", "no", "off", ""}:
        return False
    errors[name] = ["Give true or false."]
    return None


@transaction.atomic
def settings_update(*, actor: AbstractBaseUser, changes: dict) -> PortalSettings:
    """Change any of `EDITABLE`; refuses unknown names, bad values, reminders not before their
    deadline and all four weights zero, changing nothing then. Audited with before and after."""
    if not may_change_settings(actor):
        raise NotAllowed("Only administrators change the portal settings.")
    errors: dict[str, list[str]] = {}
    for name in changes:
        if name not in EDITABLE:
            errors[name] = ["This setting does not exist or cannot be changed here."]
    clean: dict = {}
    for name, value in changes.items():
        if name in HOURS:
            clean[name] = _whole_hours(name, value, 1, errors)
        elif name in REMINDER_HOURS:
            clean[name] = _whole_hours(name, value, 0, errors)
        elif name in WEIGHTS:
            clean[name] = _weight(name, value, errors)
        elif name in FLAGS:
            clean[name] = _flag(name, value, errors)
    if errors:
        raise InvalidInput(errors)
    rules = PortalSettings.objects.select_for_update().get(pk=PortalSettings.load().pk)
    before = settings_values(rules)
    for name, value in clean.items():
        setattr(rules, name, value)
    if all(Decimal(getattr(rules, w)) == 0 for w in WEIGHTS):
        raise InvalidInput({WEIGHTS[0]: ["At least one weight must be more than 0."]})
    for deadline, reminder in zip(HOURS, REMINDER_HOURS, strict=True):
        if getattr(rules, reminder) >= getattr(rules, deadline):
            raise InvalidInput(
                {
                    reminder: [
                        "The reminder must come fewer hours before the deadline than the deadline itself."
                    ]
                }
            )
    rules.save()
    after = settings_values(rules)
    changed = {k: v for k, v in after.items() if before[k] != v}
    if changed:
        audit_record(
            actor=actor,
            action="settings.change",
            obj=rules,
            before={k: before[k] for k in changed},
            after=changed,
        )
    return rules
