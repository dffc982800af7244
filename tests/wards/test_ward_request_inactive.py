"""W3 review fix: wards are not added to an inactive branch, or to a provider not active on the
PDPS, neither when asked nor when approved (409 in the API, the error summary on the page).
A closed branch may still give up its wards."""

import pytest
from django.urls import reverse

from providers.models import PdpsStatus, Provider
from wards.models import Coverage, WardRequest
from wards.services import (
    WardRequestConflict,
    WardRequestRefused,
    register_current_version,
    ward_request_create,
    ward_requests_approve,
)

pytestmark = pytest.mark.django_db


def ask(user, branch, ward, action="add"):
    return ward_request_create(actor=user, branch=branch, wards=[ward], action=action)[0]


def test_no_request_to_add_wards_to_an_inactive_branch(register, alice, branch_a1, ribbleton):
    branch_a1.is_active = False
    branch_a1.save()
    with pytest.raises(WardRequestRefused) as refused:
        ask(alice, branch_a1, ribbleton)
    assert refused.value.messages == [f"Branch {branch_a1.name} is inactive"]
    assert refused.value.field == "branch"
    assert not WardRequest.objects.exists()


def test_no_request_to_add_wards_for_a_provider_off_the_pdps(
    register, alice, branch_a1, provider_a, ribbleton
):
    Provider.objects.filter(pk=provider_a.pk).update(pdps_status=PdpsStatus.SUSPENDED)
    with pytest.raises(WardRequestRefused) as refused:
        ask(alice, branch_a1, ribbleton)
    assert refused.value.messages == [f"Provider {provider_a.name} is not active on the PDPS"]


def test_an_inactive_branch_may_still_ask_to_remove_and_be_approved(
    register, alice, carl, branch_a1, fishwick
):
    branch_a1.is_active = False
    branch_a1.save()
    request = ask(alice, branch_a1, fishwick, action="remove")
    ward_requests_approve(actor=carl, ids=[request.pk])
    assert not Coverage.objects.in_force().filter(branch=branch_a1, ward=fishwick).exists()


@pytest.fixture
def pending(register, alice, branch_a1, ribbleton):
    return ask(alice, branch_a1, ribbleton)


def test_approving_an_add_after_the_branch_closed_is_refused(carl, pending, branch_a1, ribbleton):
    branch_a1.is_active = False
    branch_a1.save()
    with pytest.raises(WardRequestConflict, match=f"Branch {branch_a1.name} is inactive"):
        ward_requests_approve(actor=carl, ids=[pending.pk])
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert register_current_version() == 1
    assert not Coverage.objects.in_force().filter(ward=ribbleton).exists()


def test_approving_an_add_after_the_provider_left_the_pdps_is_409(
    api_as, carl, pending, provider_a
):
    Provider.objects.filter(pk=provider_a.pk).update(pdps_status=PdpsStatus.LEFT)
    response = api_as(carl).post(f"/api/v1/ward-requests/{pending.pk}/approve/")
    assert response.status_code == 409
    assert f"Provider {provider_a.name} is not active on the PDPS" in response.json()["detail"]
    assert register_current_version() == 1


def test_the_queue_shows_the_refusal_in_the_error_summary(client, carl, pending, branch_a1):
    branch_a1.is_active = False
    branch_a1.save()
    client.force_login(carl)
    response = client.post(
        reverse("wards:requests"), {"requests": [pending.pk], "decision": "approve"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html and f"Branch {branch_a1.name} is inactive" in html
    pending.refresh_from_db()
    assert pending.status == "pending"
