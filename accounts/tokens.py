"""API tokens (issue 14.6): named, listed and revoked by their owner, expiring after
`PORTAL_API_TOKEN_DAYS`, all revoked when the password changes. Only a hash is stored; the key
is shown once, when issued."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from core.errors import InvalidInput, NotFound

from .models import ApiToken, hash_key

NAME_MAX = 80


def token_issue(*, user, name: str, now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for `user` named `name`; returns the row and the key (shown once)."""
    now = now or timezone.now()
    name = (name or "").strip()
    if not name:
        raise InvalidInput(
            {"name": ["Enter a name for the token, such as the system that uses it"]}
        )
    if len(name) > NAME_MAX:
        raise InvalidInput({"name": [f"The name must be {NAME_MAX} characters or fewer"]})
    key = secrets.token_hex(20)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            key_hash=hash_key(key),
            prefix=key[:8],
            created_at=now,
            expires_at=now + timedelta(days=settings.PORTAL_API_TOKEN_DAYS),
        )
        audit_record(
            actor=user,
            action="api_token.issued",
            obj=token,
            after={"name": name, "expires_at": token.expires_at.isoformat()},
        )
    return token, key


def token_revoke(*, user, token_id: int, now: datetime | None = None) -> ApiToken:
    """The owner revokes one of their tokens; someone else's is not found (A1)."""
    now = now or timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.visible_to(user).select_for_update().filter(pk=token_id).first()
        if token is None:
            raise NotFound("No such token")
        if token.revoked_at is None:
            token.revoked_at, token.revoked_reason = now, "revoked by its owner"
            token.save(update_fields=["revoked_at", "revoked_reason"])
            audit_record(
                actor=user, action="api_token.revoked", obj=token, after={"name": token.name}
            )
    return token


def tokens_revoke_all(*, user, reason: str, now: datetime | None = None) -> int:
    """Revoke every live token of `user` (the password changed). Returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            ApiToken.objects.filter(user=user, revoked_at__isnull=True).values_list("pk", flat=True)
        )
        ApiToken.objects.filter(pk__in=ids).update(revoked_at=now, revoked_reason=reason)
        for token in ApiToken.objects.filter(pk__in=ids):
            audit_record(actor=None, action="api_token.revoked", obj=token, reason=reason)
    return len(ids)


def token_user(key: str, *, now: datetime | None = None):
    """The active user of a live token with this key, or None; notes when it was last used (at
    most once a minute, so reading the API is not a write per request)."""
    now = now or timezone.now()
    token = (
        ApiToken.objects.active(now).select_related("user").filter(key_hash=hash_key(key)).first()
    )
    if token is None or not token.user.is_active:
        return None, None
    if token.last_used_at is None or token.last_used_at < now - timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, token
