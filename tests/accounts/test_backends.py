"""Issue 13: a signed-in branch user's branch and provider are read in one query with them
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


def test_a_branch_user_comes_with_their_branch_and_provider_in_one_query(client, alice, carl):
    client.force_login(alice)
    request = client.get(reverse("home")).wsgi_request
    with CaptureQueriesContext(connection) as ctx:
        user = get_user(request)
    assert len(ctx) == 2  # the user; the branch with its provider
    with CaptureQueriesContext(connection) as ctx:
        names = (user.provider.name, user.branch.name)
    assert user == alice and names == (alice.provider.name, alice.branch.name) and not len(ctx)
    client.force_login(carl)  # the council's users have neither: the user's query alone
    request = client.get(reverse("home")).wsgi_request
    with CaptureQueriesContext(connection) as ctx:
        assert get_user(request) == carl
    assert len(ctx) == 1


def test_a_session_signed_in_with_djangos_backend_stays_signed_in(client, alice):
    client.force_login(alice)
    session = client.session
    assert session[BACKEND_SESSION_KEY] == PATH
    session[BACKEND_SESSION_KEY] = DJANGO_MODEL_BACKEND  # as one signed in before the change
    session.save()
    page = client.get(reverse("brokerage:inbox"))
    assert page.status_code == 200 and page.wsgi_request.user == alice
