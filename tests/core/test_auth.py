"""Signing in and out, lock-out, sessions, passwords, the Content Security Policy, home per role."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_sign_in_page_renders_in_govuk_style(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-template" in html
    assert 'class="govuk-input' in html
    assert "govuk/govuk-frontend.min.css" in html
    assert "<h1" in html and "Sign in" in html


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_right_password_signs_in(client, nina):
    response = _sign_in(client, "nina", PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).context["user"] == nina


def test_wrong_password_shows_an_error_and_does_not_sign_in(client, nina):
    response = _sign_in(client, "nina", "not-the-password")

    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert "There is a problem" in html
    assert not response.context["user"].is_authenticated


def test_after_too_many_failures_even_the_right_password_is_refused(client, nina):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "nina", "guessing-wrong")

    response = _sign_in(client, "nina", PASSWORD)

    assert response.status_code == 429
    assert "Your account is locked" in response.content.decode()
    follow = client.get(reverse("home"))
    assert follow.status_code == 302 and follow.url.startswith(reverse("login"))


def test_a_lockout_affects_only_that_username(client, nina, carl):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "nina", "guessing-wrong")

    assert _sign_in(client, "carl", PASSWORD).status_code == 302


def test_sessions_expire_after_inactivity_and_each_request_extends_them():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_an_idle_session_is_signed_out(client, nina):
    client.force_login(nina)
    assert client.get(reverse("home")).status_code == 200

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_activity_pushes_the_session_expiry_on(client, nina):
    client.force_login(nina)
    soon = timezone.now() + timedelta(minutes=1)
    Session.objects.update(expire_date=soon)

    client.get(reverse("home"))

    assert Session.objects.get().expire_date > soon + timedelta(minutes=20)


def test_a_session_pushed_on_within_the_minute_is_not_written_again(client, nina):
    """Issue 13: the idle expiry moves on at most once a minute (accounts.sessions), so a page
    view is not a write of the session's row; its data changed, it is written at once."""
    client.force_login(nina)
    client.get(reverse("home"))
    stored = Session.objects.get().expire_date
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    assert not [
        q for q in queries.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]
    ]
    assert Session.objects.get().expire_date == stored
    session = client.session
    session["seen"] = "yes"
    session.save()
    assert Session.objects.get().get_decoded()["seen"] == "yes"


@pytest.mark.parametrize("password", ["password123", "12345678901", "short"])
def test_weak_passwords_are_rejected(password, nina):
    with pytest.raises(ValidationError):
        validate_password(password, user=nina)


def test_a_long_uncommon_password_is_accepted(nina):
    validate_password("lantern-orchard-pebble-71", user=nina)


def _script_src(response) -> str:
    header = response.headers.get("Content-Security-Policy", "")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    match = re.search(r"script-src ([^;]*)", header)
    assert match, header
    return match.group(1)


@pytest.mark.parametrize(
    "url", ["login", "home", "wards:list", "providers:list", "api-docs", "admin:index"]
)
def test_every_page_carries_a_csp_without_unsafe_inline_scripts(client, adam, url):
    client.force_login(adam)

    response = client.get(reverse(url))

    assert response.status_code == 200
    script_src = _script_src(response)
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "'nonce-" in script_src or "'self'" in script_src


def test_the_only_inline_script_carries_the_csp_nonce(client, nina):
    client.force_login(nina)

    response = client.get(reverse("home"))

    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.content.decode())
    assert inline, "expected the js-enabled class script"
    assert all(f'nonce="{nonce}"' in attrs for attrs in inline)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("alice", "See your branch"),
        ("olivia", "See your branches"),
        ("nina", "Put packages of care out"),
        ("carl", "Hold every provider to its KPIs"),
        ("rita", "Delegate trusted reviews"),
        ("adam", "Change when scheduled jobs run"),
    ],
)
def test_home_page_shows_each_role_its_own_next_step(client, request, persona, expected):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "What you can do next" in html
    assert expected in html


def test_home_pages_differ_between_roles(client, request):
    pages = {}
    for persona in ["alice", "olivia", "nina", "carl", "rita", "adam"]:
        client.force_login(request.getfixturevalue(persona))
        html = client.get(reverse("home")).content.decode()
        main = html[html.index('id="main-content"') :]
        pages[persona] = re.sub(r"csrfmiddlewaretoken\" value=\"[^\"]+", "", main)
    assert len(set(pages.values())) == len(pages)


def test_sign_out_is_a_post_and_ends_the_session(client, nina):
    client.force_login(nina)

    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == reverse("login")
    follow = client.get(reverse("home"))
    assert follow.status_code == 302 and follow.url.startswith(reverse("login"))


def test_every_signed_in_page_offers_sign_out(client, nina):
    client.force_login(nina)

    html = client.get(reverse("home")).content.decode()

    assert f'action="{reverse("logout")}"' in html
    assert "Sign out" in html
