"""Who must sign in with a second factor (issue 14.6). Council staff (navigator, contract manager,
reviewer, administrator) must where `PORTAL_REQUIRE_MFA` is on (production's default); anyone who
has set one up (a provider may opt in) always uses it."""

from __future__ import annotations

from django.conf import settings
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice


def mfa_required(user) -> bool:
    """Whether this person's role must have a second factor here."""
    return bool(settings.PORTAL_REQUIRE_MFA and getattr(user, "is_council", False))


def has_second_factor(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user_has_device(user, confirmed=True)


def needs_second_factor(user) -> bool:
    """A second factor is asked for at sign-in: the role requires one, or the person has one."""
    return mfa_required(user) or has_second_factor(user)


def has_totp(user) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def confirmed_devices(user) -> list:
    return list(devices_for_user(user, confirmed=True))
