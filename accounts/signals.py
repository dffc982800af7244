"""A password change revokes every API token of its user (issue 14.6), whichever way it changed:
the change-password page, a reset link, the admin, a command."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django_otp_webauthn.models import WebAuthnCredential

from core.audit import audit_record

from .tokens import tokens_revoke_all


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def _note_password_change(sender, instance, update_fields=None, **kwargs) -> None:
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._password_changed = old is not None and old != instance.password


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _revoke_tokens_on_password_change(sender, instance, created, **kwargs) -> None:
    if getattr(instance, "_password_changed", False):
        instance._password_changed = False
        tokens_revoke_all(user=instance, reason="password changed")


@receiver(user_logged_in)
def _note_whether_a_second_factor_is_needed(sender, request, user, **kwargs) -> None:
    """Decided once, at sign-in, so the pages after it ask the database nothing more."""
    from .middleware import FREE_KEY
    from .policy import needs_second_factor

    session = getattr(request, "session", None)
    if session is None:
        return
    if needs_second_factor(user):
        session.pop(FREE_KEY, None)
    else:
        session[FREE_KEY] = user.pk


@receiver(post_save, sender=WebAuthnCredential)
def _audit_a_new_passkey(sender, instance, created, **kwargs) -> None:
    """A passkey is written by django-otp-webauthn's own view: audit it here (I4)."""
    if created:
        audit_record(
            actor=instance.user,
            action="second_factor.added",
            obj=instance,
            after={"kind": "passkey", "name": instance.name},
        )
