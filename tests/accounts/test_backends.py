"""Issue 13: a signed-in user is read with their provider and branch in one query
(`accounts.backends.ModelBackend`), and a session signed in with Django's own ModelBackend before
that backend took its place still reads as signed in."""

from __future__ import annotations

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, get_user
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.backends import DJANGO_MODEL_BACKEND, PATH

pytestmark = pytest.mark.django_db


def test_a_branch_user_comes_with_their_provider_and_branch(client, alice):
    client.force_login(alice)
    request = client.get(reverse("home")).wsgi_request
    request.user = None
    with CaptureQueriesContext(connection) as ctx:
        user = get_user(request)
        names = (user.provider.name, user.branch.name)
    assert user == alice and names == (alice.provider.name, alice.branch.name)
    assert len([q for q in ctx.captured_queries if "providers_user" in q["sql"]]) == 1
    assert not [q for q in ctx.captured_queries if 'FROM "providers_branch"' in q["sql"]]


def test_a_session_signed_in_with_djangos_backend_stays_signed_in(client, alice):
    client.force_login(alice)
    session = client.session
    assert session[BACKEND_SESSION_KEY] == PATH
    session[BACKEND_SESSION_KEY] = DJANGO_MODEL_BACKEND  # as one signed in before the change
    session.save()
    page = client.get(reverse("brokerage:inbox"))
    assert page.status_code == 200 and page.wsgi_request.user == alice
