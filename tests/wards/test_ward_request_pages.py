"""The ward request pages (W3, I1): My wards, Request a change, My requests for providers; the
queue and the request page for contract managers. A1: another provider's request is 404."""

import pytest
from django.urls import reverse

from wards.models import Coverage, WardRequest
from wards.services import register_current_version, ward_request_create

pytestmark = pytest.mark.django_db

NEW = reverse("wards:request-create")
LIST = reverse("wards:requests")


@pytest.fixture
def pending(register, alice, branch_a1, ribbleton):
    return ward_request_create(
        actor=alice, branch=branch_a1, wards=[ribbleton], action="add", reason="Carers nearby"
    )[0]


@pytest.fixture
def bobs(register, bob, branch_b1, ribbleton):
    return ward_request_create(actor=bob, branch=branch_b1, wards=[ribbleton], action="add")[0]


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_my_wards_shows_each_branch_coverage_in_force(client, register, olivia):
    client.force_login(olivia)
    html = page(client.get(reverse("wards:mine")))
    assert "Preston" in html and "Chorley" in html  # both of provider A's branches
    assert "Fishwick" in html and "E05012001" in html
    assert "Chorley East" not in html  # provider B's ward
    assert "This branch covers no wards" in html  # branch a2


def test_branch_user_sees_only_its_own_branch_in_my_wards(client, register, alice, branch_a2):
    client.force_login(alice)
    html = page(client.get(reverse("wards:mine")))
    assert f"branch-{branch_a2.pk}" not in html


def test_council_users_have_no_my_wards_page(client, register, carl):
    client.force_login(carl)
    assert client.get(reverse("wards:mine")).status_code == 403


def test_request_form_lists_addable_wards_of_the_chosen_district(
    client, register, alice, branch_a1, ribbleton
):
    client.force_login(alice)
    html = page(client.get(NEW, {"branch": branch_a1.pk, "action": "add", "district": "Preston"}))
    assert f'value="{ribbleton.pk}"' in html
    assert "Ribbleton, Preston" in html
    assert "Fishwick, Preston" not in html  # already covered


def test_request_form_for_removal_lists_the_covered_wards(client, register, alice, branch_a1):
    client.force_login(alice)
    html = page(client.get(NEW, {"branch": branch_a1.pk, "action": "remove"}))
    assert "Fishwick, Preston" in html and "Ribbleton" not in html


def test_request_form_offers_only_the_branch_users_own_branch(client, register, alice, branch_a2):
    client.force_login(alice)
    html = page(client.get(NEW))
    assert "Chorley (A2)" not in html and "Preston (A1)" in html


def test_sending_several_wards_makes_one_request_each_and_goes_to_my_requests(
    client, register, alice, branch_a1, ribbleton, chorley_east
):
    client.force_login(alice)
    response = client.post(
        NEW,
        {
            "branch": branch_a1.pk,
            "action": "add",
            "wards": [ribbleton.pk, chorley_east.pk],
            "reason": "New carers",
        },
    )
    assert response.status_code == 302 and response["Location"] == LIST
    assert WardRequest.objects.filter(branch=branch_a1, status="pending").count() == 2
    html = page(client.get(LIST))
    assert "2 requests sent" in html and "Ribbleton" in html and "Chorley East" in html


def test_sending_without_wards_or_reason_shows_errors_and_saves_nothing(
    client, register, alice, branch_a1
):
    client.force_login(alice)
    html = page(client.post(NEW, {"branch": branch_a1.pk, "action": "add", "district": "Preston"}))
    assert "There is a problem" in html
    assert "Choose at least one ward" in html and "Say why you want this change" in html
    assert not WardRequest.objects.exists()


def test_branch_user_cannot_send_a_request_for_a_sibling_branch(
    client, register, alice, branch_a2, ribbleton
):
    client.force_login(alice)
    html = page(
        client.post(
            NEW, {"branch": branch_a2.pk, "action": "add", "wards": [ribbleton.pk], "reason": "x"}
        )
    )
    assert "Choose the branch" in html
    assert not WardRequest.objects.exists()


def test_council_users_may_not_open_the_request_form(client, register, carl):
    client.force_login(carl)
    assert client.get(NEW).status_code == 403


def test_my_requests_shows_status_outcome_and_comment(client, alice, carl, pending):
    from wards.services import ward_requests_reject

    ward_requests_reject(actor=carl, ids=[pending.pk], comment="Too far from your office")
    client.force_login(alice)
    html = page(client.get(LIST))
    assert "Rejected" in html and "Too far from your office" in html


def test_my_requests_never_shows_approve_buttons_to_providers(client, olivia, pending):
    client.force_login(olivia)
    html = page(client.get(LIST))
    assert 'value="approve"' not in html and "Withdraw" in html
    html = page(client.get(reverse("wards:request", args=[pending.pk])))
    assert 'value="approve"' not in html and 'value="reject"' not in html
    assert "Withdraw this request" in html


def test_provider_posting_a_decision_is_refused(client, alice, pending):
    client.force_login(alice)
    assert client.post(LIST, {"requests": [pending.pk], "decision": "approve"}).status_code == 403
    detail = reverse("wards:request", args=[pending.pk])
    assert client.post(detail, {"decision": "approve"}).status_code == 403
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_provider_b_cannot_see_or_withdraw_provider_as_request(client, bob, pending, bobs):
    client.force_login(bob)
    assert client.get(reverse("wards:request", args=[pending.pk])).status_code == 404
    assert client.post(reverse("wards:request-withdraw", args=[pending.pk])).status_code == 404
    html = page(client.get(LIST))
    assert f'href="{reverse("wards:request", args=[pending.pk])}"' not in html
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_provider_withdraws_from_my_requests(client, alice, pending):
    client.force_login(alice)
    response = client.post(reverse("wards:request-withdraw", args=[pending.pk]))
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "withdrawn"


def test_queue_shows_pending_requests_with_checkboxes(client, carl, pending, bobs):
    client.force_login(carl)
    html = page(client.get(LIST))
    assert html.count('name="requests"') == 2
    assert "Approve ticked requests" in html and "Carers nearby" in html


def test_queue_filters_by_provider_and_district(client, carl, pending, bobs):
    client.force_login(carl)
    assert page(client.get(LIST, {"provider": "PB"})).count('name="requests"') == 1
    assert page(client.get(LIST, {"district": "Chorley"})).count('name="requests"') == 0
    assert "No requests match" in page(client.get(LIST, {"status": "approved"}))


def test_bulk_approve_from_the_queue_publishes_one_version(
    client, carl, pending, bobs, branch_a1, branch_b1, ribbleton
):
    client.force_login(carl)
    response = client.post(
        LIST, {"requests": [pending.pk, bobs.pk], "decision": "approve", "comment": "Both fine"}
    )
    assert response.status_code == 302
    assert register_current_version() == 2
    assert set(WardRequest.objects.values_list("status", "version__number")) == {("approved", 2)}
    assert Coverage.objects.in_force().filter(ward=ribbleton).count() == 2
    assert "Register v2 is now in force" in page(client.get(response["Location"]))


def test_bulk_reject_without_comment_shows_the_error(client, carl, pending):
    client.force_login(carl)
    html = page(client.post(LIST, {"requests": [pending.pk], "decision": "reject"}))
    assert "Say why you reject" in html
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_deciding_with_nothing_ticked_says_so(client, carl, pending):
    client.force_login(carl)
    assert "Choose at least one request" in page(client.post(LIST, {"decision": "approve"}))


def test_contract_manager_approves_on_the_request_page(client, carl, pending, branch_a1):
    client.force_login(carl)
    url = reverse("wards:request", args=[pending.pk])
    html = page(client.get(url))
    assert "Branches covering Ribbleton now" in html
    response = client.post(url, {"decision": "approve", "comment": "Agreed"})
    assert response.status_code == 302
    html = page(client.get(url))
    assert "Approved" in html and "v2" in html


def test_approving_an_already_approved_request_on_the_page_says_who_did(
    client, carl, adam, pending
):
    from wards.services import ward_requests_approve

    ward_requests_approve(actor=adam, ids=[pending.pk])
    client.force_login(carl)
    url = reverse("wards:request", args=[pending.pk])
    html = page(client.post(url, {"decision": "approve"}))
    assert "already been approved by adam" in html
    assert register_current_version() == 2


def test_navigator_sees_the_queue_without_decision_controls(client, nina, pending):
    client.force_login(nina)
    html = page(client.get(LIST))
    assert "Carers nearby" in html and 'name="requests"' not in html
    assert client.post(LIST, {"requests": [pending.pk], "decision": "approve"}).status_code == 403


def test_queue_query_count_is_pinned(client, carl, pending, bobs, django_assert_max_num_queries):
    client.force_login(carl)
    with django_assert_max_num_queries(9):
        page(client.get(LIST))


def test_my_wards_query_count_is_pinned(client, olivia, register, django_assert_max_num_queries):
    client.force_login(olivia)
    with django_assert_max_num_queries(8):
        page(client.get(reverse("wards:mine")))


def test_anonymous_is_sent_to_sign_in(client, register):
    for url in (LIST, NEW, reverse("wards:mine")):
        assert "/sign-in/" in client.get(url)["Location"]
