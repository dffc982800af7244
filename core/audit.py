"""Writing to the audit trail. Call `audit_record` inside the same transaction as the change."""

from __future__ import annotations

# The actor is a providers.User; core sits below providers (import-linter layers), so Django's base.
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from . import changes
from .models import AuditEvent


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    obj: models.Model,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event; `actor` is a user or None for the system (scheduled jobs)."""
    is_user = actor is not None and getattr(actor, "pk", None) is not None
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_label=actor.get_username() if is_user else "system",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        before=before,
        after=after,
        reason=reason,
    )


def audit_bulk(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    model: type[models.Model],
    ids: list,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> int:
    """Append one event per object id in a single INSERT, for set-based changes."""
    is_user = actor is not None and getattr(actor, "pk", None) is not None
    label = model._meta.label_lower
    events = [
        AuditEvent(
            actor=actor if is_user else None,
            actor_label=actor.get_username() if is_user else "system",
            action=action,
            object_type=label,
            object_id=str(pk),
            before=before,
            after=after,
            reason=reason,
        )
        for pk in ids
    ]
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    if events:
        changes.changed()  # bulk_create sends no post_save
    return len(events)
