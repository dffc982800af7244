"""`/api/v1/ward-requests/` (API.md, W3): providers ask, contract managers decide; A1 scoping
(another provider's request is 404), 403 for a role that may not, 409 for a decided request."""

import pytest

from wards.models import Coverage, WardRequest
from wards.services import register_current_version, ward_request_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/ward-requests/"


@pytest.fixture
def pending(register, alice, branch_a1, ribbleton):
    return ward_request_create(actor=alice, branch=branch_a1, wards=[ribbleton], action="add")[0]


def test_branch_user_creates_a_request_by_branch_ref_and_ward_code(api_as, alice, register):
    response = api_as(alice).post(
        URL, {"branch": "A1", "ward": "E05012002", "action": "add", "reason": "Near us"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending" and body["action"] == "add"
    assert body["branch"]["ref"] == "A1" and body["ward"]["code"] == "E05012002"
    assert body["provider"] == {"ref": "PA", "name": "Amber Homecare Ltd"}
    assert (body["requested_by"], body["version"], body["reason"]) == ("alice", None, "Near us")


def test_create_by_branch_id_without_reason(api_as, olivia, register, branch_a2):
    response = api_as(olivia).post(
        URL, {"branch": branch_a2.pk, "ward": "E05012002", "action": "add"}, format="json"
    )
    assert response.status_code == 201


def test_create_several_wards_at_once(api_as, alice, register):
    response = api_as(alice).post(
        URL,
        {"branch": "A1", "wards": ["E05012002", "E05012003"], "action": "add", "reason": "r"},
        format="json",
    )
    assert response.status_code == 201
    assert [r["ward"]["code"] for r in response.json()["results"]] == ["E05012002", "E05012003"]


def test_create_for_a_ward_already_covered_is_400_on_ward(api_as, alice, register):
    response = api_as(alice).post(URL, {"branch": "A1", "ward": "E05012001", "action": "add"})
    assert response.status_code == 400
    assert "already covers" in response.json()["ward"][0]


def test_create_for_unknown_ward_or_bad_action_is_400(api_as, alice, register):
    client = api_as(alice)
    assert "ward" in client.post(URL, {"branch": "A1", "ward": "E0599", "action": "add"}).json()
    assert "action" in client.post(URL, {"branch": "A1", "ward": "E05012002", "action": "x"}).json()


def test_create_for_another_providers_branch_is_400_as_if_it_did_not_exist(
    api_as, bob, register, branch_a1
):
    for branch in ("A1", branch_a1.pk, "ZZ"):
        response = api_as(bob).post(URL, {"branch": branch, "ward": "E05012002", "action": "add"})
        assert response.status_code == 400
        assert response.json()["branch"] == [f"No branch '{branch}' among yours"]


def test_branch_user_may_not_create_for_a_sibling_branch(api_as, alice, register):
    response = api_as(alice).post(URL, {"branch": "A2", "ward": "E05012002", "action": "add"})
    assert response.status_code == 400


def test_contract_manager_may_not_create_requests(api_as, carl, register):
    response = api_as(carl).post(URL, {"branch": "A1", "ward": "E05012002", "action": "add"})
    assert response.status_code == 403


def test_anonymous_is_401(api_client, register):
    assert api_client.get(URL).status_code == 401


def test_list_is_scoped_to_the_callers_branches(api_as, alice, bob, carl, pending, branch_b1):
    ward_request_create(
        actor=bob, branch=branch_b1, wards=[pending.ward], action="add", reason="B's"
    )
    assert [r["branch"]["ref"] for r in api_as(alice).get(URL).json()["results"]] == ["A1"]
    assert [r["branch"]["ref"] for r in api_as(bob).get(URL).json()["results"]] == ["B1"]
    assert api_as(carl).get(URL).json()["count"] == 2


def test_list_filters_by_status_provider_and_district(api_as, carl, pending):
    client = api_as(carl)
    assert client.get(URL, {"status": "pending", "provider": "PA"}).json()["count"] == 1
    assert client.get(URL, {"provider": "PB"}).json()["count"] == 0
    assert client.get(URL, {"district": "Preston"}).json()["count"] == 1
    assert client.get(URL, {"district": "Chorley"}).json()["count"] == 0


def test_another_providers_request_is_404_to_read_withdraw_or_approve(api_as, bob, pending):
    client = api_as(bob)
    assert client.get(f"{URL}{pending.pk}/").status_code == 404
    for verb in ("withdraw", "approve", "reject"):
        assert client.post(f"{URL}{pending.pk}/{verb}/").status_code == 404
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_contract_manager_approves_and_gets_the_version(api_as, carl, pending, branch_a1):
    response = api_as(carl).post(f"{URL}{pending.pk}/approve/", {"comment": "Agreed"})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["version"], body["decided_by"], body["comment"]) == (
        "approved",
        2,
        "carl",
        "Agreed",
    )
    assert Coverage.objects.in_force().filter(branch=branch_a1, ward=pending.ward).exists()


def test_second_approval_is_409_with_detail(api_as, carl, pending):
    client = api_as(carl)
    client.post(f"{URL}{pending.pk}/approve/")
    response = client.post(f"{URL}{pending.pk}/approve/")
    assert response.status_code == 409
    assert "already been approved by carl" in response.json()["detail"]
    assert register_current_version() == 2


def test_provider_trying_to_approve_its_own_request_is_403(api_as, alice, olivia, pending):
    for user in (alice, olivia):
        assert api_as(user).post(f"{URL}{pending.pk}/approve/").status_code == 403
        assert api_as(user).post(f"{URL}{pending.pk}/reject/", {"comment": "x"}).status_code == 403
    pending.refresh_from_db()
    assert pending.status == "pending" and register_current_version() == 1


def test_navigator_may_read_but_not_approve(api_as, nina, pending):
    assert api_as(nina).get(f"{URL}{pending.pk}/").status_code == 200
    assert api_as(nina).post(f"{URL}{pending.pk}/approve/").status_code == 403


def test_reject_needs_a_comment(api_as, carl, pending):
    response = api_as(carl).post(f"{URL}{pending.pk}/reject/", {"comment": ""})
    assert response.status_code == 400 and "comment" in response.json()
    response = api_as(carl).post(f"{URL}{pending.pk}/reject/", {"comment": "Market is full"})
    assert response.json()["status"] == "rejected"


def test_provider_withdraws_its_request_and_then_it_cannot_be_approved(
    api_as, alice, carl, pending
):
    assert api_as(alice).post(f"{URL}{pending.pk}/withdraw/").json()["status"] == "withdrawn"
    assert api_as(carl).post(f"{URL}{pending.pk}/approve/").status_code == 409


def test_bulk_approve_publishes_one_version(api_as, alice, carl, register, branch_a1):
    created = api_as(alice).post(
        URL, {"branch": "A1", "wards": ["E05012002", "E05012003"], "action": "add"}, format="json"
    )
    ids = [r["id"] for r in created.json()["results"]]
    response = api_as(carl).post(
        f"{URL}bulk-approve/", {"ids": ids, "comment": "Batch"}, format="json"
    )
    assert response.status_code == 200
    assert {r["version"] for r in response.json()["results"]} == {2}
    assert register_current_version() == 2


def test_bulk_approve_naming_an_unknown_request_is_404_and_changes_nothing(api_as, carl, pending):
    response = api_as(carl).post(f"{URL}bulk-approve/", {"ids": [pending.pk, 99999]}, format="json")
    assert response.status_code == 404
    assert WardRequest.objects.get().status == "pending"


def test_list_query_count_is_pinned(api_as, carl, pending, django_assert_max_num_queries):
    client = api_as(carl)
    with django_assert_max_num_queries(5):
        assert client.get(URL).status_code == 200
