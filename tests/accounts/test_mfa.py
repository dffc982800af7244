"""Issue 14.6: council staff sign in with a second factor where PORTAL_REQUIRE_MFA is on; the API
token endpoint asks for `otp` (API.md) so a password alone never yields a council token there,
and answers 429 during a lock-out; tokens are named, listed, revoked by their owner, expire, and
die with a password change; a password reset goes by e-mail through the outbox."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiToken
from accounts.tokens import token_issue
from core.models import AuditEvent
from notifications.models import Notification
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token/"
WARDS = "/api/v1/wards/"


@pytest.fixture
def require_mfa(settings):
    settings.PORTAL_REQUIRE_MFA = True


def _device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def _code(device: TOTPDevice) -> str:
    """The code the phone shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _post_token(api_client, username="nina", password=PASSWORD, **extra):
    return api_client.post(
        TOKEN, {"username": username, "password": password, **extra}, format="json"
    )


# --- the token endpoint -------------------------------------------------------------------------


def test_a_password_alone_never_yields_a_council_token_where_mfa_is_required(
    api_client, nina, require_mfa
):
    response = _post_token(api_client)
    assert response.status_code == 403
    assert "authenticator app" in response.json()["otp"][0]
    assert not ApiToken.objects.exists()


def test_a_council_user_with_a_device_gets_a_token_only_with_the_right_otp(
    api_client, nina, require_mfa, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp slows retries after a wrong code
    device = _device(nina)
    missing = _post_token(api_client)
    assert missing.status_code == 400 and "6-digit code" in missing.json()["otp"][0]
    wrong = _post_token(api_client, otp="000000" if _code(device) != "000000" else "111111")
    assert wrong.status_code == 400 and "wrong" in wrong.json()["otp"][0]
    right = _post_token(api_client, otp=_code(device), name="Care system")
    assert right.status_code == 200 and set(right.json()) == {"token"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {right.json()['token']}")
    assert api_client.get(WARDS).status_code == 200
    assert ApiToken.objects.get().name == "Care system"


def test_a_provider_who_opted_in_needs_the_otp_even_with_mfa_off(api_client, alice):
    device = _device(alice)
    assert _post_token(api_client, username="alice").status_code == 400
    assert _post_token(api_client, username="alice", otp=_code(device)).status_code == 200


def test_with_mfa_off_a_council_user_without_a_device_signs_in_with_a_password(api_client, nina):
    assert _post_token(api_client).status_code == 200


def test_the_token_endpoint_answers_429_during_a_lock_out(api_client, nina, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _post_token(api_client, password="wrong-password-1").status_code == 400
    assert _post_token(api_client, password="wrong-password-1").status_code == 429  # the last try
    locked = _post_token(api_client)  # even the right password
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    assert "Too many failed sign-ins" in locked.json()["detail"]


def test_wrong_codes_count_towards_the_lock_out(api_client, nina, settings):
    device = _device(nina)
    wrong = "000000" if _code(device) != "000000" else "111111"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _post_token(api_client, otp=wrong).status_code == 400
    assert _post_token(api_client, otp=wrong).status_code == 429
    assert _post_token(api_client, otp=_code(device)).status_code == 429


# --- tokens: named, expiring, revocable, revoked with the password --------------------------------


def test_a_token_expires_after_the_configured_days(api_client, nina, settings):
    settings.PORTAL_API_TOKEN_DAYS = 90
    token, key = token_issue(user=nina, name="Care system")
    assert token.expires_at - token.created_at == timedelta(days=90)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get(WARDS).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=timezone.now() - timedelta(days=91),
        expires_at=timezone.now() - timedelta(days=1),
    )
    assert api_client.get(WARDS).status_code == 401


def test_a_password_change_revokes_every_token(api_client, nina):
    _, key = token_issue(user=nina, name="One")
    _, other = token_issue(user=nina, name="Two")
    nina.set_password("a-brand-new-long-password")
    nina.save()
    for k in (key, other):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {k}")
        assert api_client.get(WARDS).status_code == 401
    assert set(ApiToken.objects.values_list("revoked_reason", flat=True)) == {"password changed"}
    nina.last_login = timezone.now()
    nina.save(update_fields=["last_login"])  # no password change: nothing more happens
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 2


def test_the_owner_names_lists_and_revokes_tokens_on_the_page(client, api_client, nina, carl):
    client.force_login(nina)
    created = client.post(reverse("accounts:tokens"), {"name": "Care system"}, follow=True)
    body = created.content.decode()
    key = re.search(r'<code class="portal-secret">([0-9a-f]{40})</code>', body).group(1)
    assert "Care system" in body and "Copy it now" in body
    again = client.get(reverse("accounts:tokens")).content.decode()
    assert key not in again  # shown once
    token = ApiToken.objects.get()
    # Someone else cannot revoke it (A1: not found).
    client.force_login(carl)
    assert client.post(reverse("accounts:token-revoke", args=[token.pk])).status_code == 404
    client.force_login(nina)
    client.post(reverse("accounts:token-revoke", args=[token.pk]))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get(WARDS).status_code == 401
    assert "Revoked" in client.get(reverse("accounts:tokens")).content.decode()


def test_a_token_without_a_name_is_refused_with_a_clear_message(client, nina):
    client.force_login(nina)
    page = client.post(reverse("accounts:tokens"), {"name": ""}).content.decode()
    assert "There is a problem" in page and not ApiToken.objects.exists()


# --- signing in on the pages --------------------------------------------------------------------


def _sign_in(client, username="nina"):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def test_a_council_user_without_a_device_must_set_one_up_before_anything(client, nina, require_mfa):
    _sign_in(client)
    home = client.get(reverse("home"))
    assert home.status_code == 302 and home.url.startswith(reverse("accounts:set-up"))
    api = client.get(WARDS)  # the API by session too
    assert api.status_code == 403
    setup = client.get(reverse("accounts:totp"))
    assert setup.status_code == 200 and "<svg" in setup.content.decode()
    device = TOTPDevice.objects.get(user=nina, confirmed=False)
    wrong = client.post(reverse("accounts:totp"), {"code": "12345"})
    assert "Enter the 6-digit code" in wrong.content.decode()
    client.post(reverse("accounts:totp"), {"code": _code(device)})
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(reverse("home")).status_code == 200  # verified in this session
    assert AuditEvent.objects.filter(action="second_factor.added", actor=nina).exists()


def test_a_user_with_a_device_gives_the_code_after_the_password(client, nina, require_mfa):
    device = _device(nina)
    _sign_in(client)
    home = client.get(reverse("home"))
    assert home.status_code == 302 and home.url.startswith(reverse("accounts:verify"))
    # Adding another second factor before giving the first is not possible.
    assert client.get(reverse("accounts:totp")).status_code == 302
    page = client.get(home.url)
    assert "Enter the 6-digit code" in page.content.decode()
    done = client.post(home.url, {"code": _code(device), "next": "/"})
    assert done.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_code_on_the_page_is_refused(client, nina, require_mfa):
    device = _device(nina)
    _sign_in(client)
    wrong = "000000" if _code(device) != "000000" else "111111"
    page = client.post(reverse("accounts:verify"), {"code": wrong})
    assert "The code is wrong" in page.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_with_mfa_off_a_council_user_signs_in_with_a_password_alone(client, nina):
    _sign_in(client)
    assert client.get(reverse("home")).status_code == 200


def test_the_last_second_factor_of_a_council_user_cannot_be_removed(client, nina, require_mfa):
    device = _device(nina)
    _sign_in(client)
    client.post(reverse("accounts:verify"), {"code": _code(device)})
    client.post(reverse("accounts:device-remove", args=["totp", device.pk]))
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


# --- password reset through the outbox ----------------------------------------------------------


def test_a_password_reset_goes_through_the_outbox_and_its_link_works_once(
    client, nina, django_capture_on_commit_callbacks
):
    nina.email = "nina@council.example"
    nina.save()
    _, key = token_issue(user=nina, name="Care system")
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("password-reset"), {"email": "nina@council.example"})
    assert sent.status_code == 302
    row = Notification.objects.get(kind="password_reset")
    assert row.state == "sent" and "password reset link" in row.body  # cleared once sent
    assert Notification.objects.visible_to(nina).filter(kind="password_reset").count() == 0
    (message,) = mail.outbox
    assert message.to == ["nina@council.example"]
    link = re.search(r"https?://[^/]+(/password-reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"new_password1": "another-long-password-9", "new_password2": "another-long-password-9"},
    )
    assert done.status_code == 302
    nina.refresh_from_db()
    assert nina.check_password("another-long-password-9")
    assert ApiToken.objects.get().revoked_reason == "password changed"
    assert "expired or was used" in client.get(link, follow=True).content.decode()


def test_a_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, db):
    page = client.post(reverse("password-reset"), {"email": "nobody@example.org"}, follow=True)
    assert "Check your e-mail" in page.content.decode()
    assert not Notification.objects.exists()
