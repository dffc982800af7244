"""Issue 14.6 in a real browser: a council user with an authenticator app signs in with the
password, then the code, and reaches home; the verify page and the set-up pages pass axe and
fit a phone. Screenshots go to screenshots/account-*.png."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from core.models import AuditEvent
from tests.conftest import PASSWORD

from .conftest import (
    DESKTOP,
    PHONE,
    _watched_page,
    assert_accessible,
    assert_page_never_scrolls_sideways,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_navigator_signs_in_with_password_then_code(
    browser, live_server, problems, nina, settings, viewport
):
    settings.PORTAL_REQUIRE_MFA = True
    device = TOTPDevice.objects.create(user=nina, name="Phone", confirmed=True)
    context, page = _watched_page(browser, problems, viewport=viewport)
    try:
        page.goto(f"{live_server.url}/sign-in/")
        page.get_by_label("Username").fill("nina")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
        name = "desktop" if viewport == DESKTOP else "phone"
        screenshot(page, f"account-verify-{name}")
        assert_page_never_scrolls_sideways(page)
        assert_accessible(page)
        page.get_by_label("Enter the 6-digit code from your authenticator app").fill(_code(device))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"{live_server.url}/")
        problems.assert_none()
    finally:
        context.close()


def test_a_navigator_without_a_second_factor_is_sent_to_set_one_up(
    browser, live_server, problems, nina, settings
):
    settings.PORTAL_REQUIRE_MFA = True
    context, page = _watched_page(browser, problems, viewport=DESKTOP)
    try:
        page.goto(f"{live_server.url}/sign-in/")
        page.get_by_label("Username").fill("nina")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Set up two-factor authentication"
        )
        page.get_by_role("link", name="An authenticator app on your phone").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
        screenshot(page, "account-totp-required-desktop")
        device = TOTPDevice.objects.get(user=nina, confirmed=False)
        page.get_by_label("Enter the 6-digit code the app now shows").fill(_code(device))
        page.get_by_role("button", name="Confirm and continue").click()
        page.wait_for_url(f"{live_server.url}/")
        assert TOTPDevice.objects.get(pk=device.pk).confirmed
        problems.assert_none()
    finally:
        context.close()


def test_a_passkey_is_created_then_used_as_the_second_factor(
    browser, live_server, problems, nina, settings
):
    """Chromium's virtual authenticator (DevTools WebAuthn domain) stands in for a phone's
    fingerprint: the passkey is registered on the set-up page, and at the next sign-in the
    verify page's "Use your passkey" signs in with it (django-otp-webauthn)."""
    from django_otp_webauthn.models import WebAuthnCredential

    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url.replace("127.0.0.1", "localhost")]
    base = live_server.url.replace("127.0.0.1", "localhost")
    context, page = _watched_page(browser, problems, viewport=DESKTOP)
    try:
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        page.goto(f"{base}/sign-in/")
        page.get_by_label("Username").fill("nina")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/account/two-factor/set-up/passkey/")
        page.get_by_role("button", name="Create a passkey").click()
        expect(page.locator("#passkey-register-status-message")).not_to_be_empty()
        screenshot(page, "account-passkey-created-desktop")
        assert WebAuthnCredential.objects.filter(user=nina, confirmed=True).count() == 1
        assert AuditEvent.objects.filter(action="second_factor.added", actor=nina).exists()

        settings.PORTAL_REQUIRE_MFA = True
        page.get_by_role("button", name="Sign out").click()
        page.goto(f"{base}/sign-in/")
        page.get_by_label("Username").fill("nina")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
        screenshot(page, "account-verify-passkey-desktop")
        assert_accessible(page)
        page.get_by_role("button", name="Use your passkey").click()
        page.wait_for_url(f"{base}/")
        problems.assert_none()
    finally:
        context.close()
