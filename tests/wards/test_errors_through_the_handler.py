"""A ward-request service's refusal reaches the API client through the one exception handler
(issue 9.2)."""

from __future__ import annotations

from unittest import mock

import pytest

from core import api as core_api
from core.errors import as_domain_error
from wards.services import WardRequestConflict, WardRequestRefused, ward_request_create

pytestmark = pytest.mark.django_db
URL = "/api/v1/ward-requests/"


@pytest.fixture
def pending(register, alice, branch_a1, ribbleton):
    return ward_request_create(actor=alice, branch=branch_a1, wards=[ribbleton], action="add")[0]


def spy():
    return mock.patch.object(core_api, "as_domain_error", wraps=as_domain_error)


def test_a_decided_request_is_a_state_conflict_answered_409(api_as, carl, pending):
    client = api_as(carl)
    client.post(f"{URL}{pending.pk}/withdraw/")  # a contract manager may not: 403, no change
    client.post(f"{URL}{pending.pk}/reject/", {"comment": "Not now"})
    with spy() as seen:
        response = client.post(f"{URL}{pending.pk}/approve/")
    assert isinstance(seen.call_args.args[0], WardRequestConflict)
    assert response.status_code == 409
    assert set(response.json()) == {"detail"}
    assert "already been rejected by carl" in response.json()["detail"]


def test_asking_for_a_ward_already_pending_is_invalid_input_answered_400(api_as, alice, pending):
    with spy() as seen:
        response = api_as(alice).post(
            URL, {"branch": "A1", "ward": pending.ward.code, "action": "add"}
        )
    assert isinstance(seen.call_args.args[0], WardRequestRefused)
    assert response.status_code == 400
    (messages,) = response.json().values()
    assert "already has a pending request" in " ".join(messages)


def test_djangos_permission_denied_from_the_service_is_still_403(api_as, carl, pending):
    response = api_as(carl).post(f"{URL}{pending.pk}/withdraw/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only the provider withdraws its request."}
