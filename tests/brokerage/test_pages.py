"""The brokerage pages: navigators' package queue, create, package page and its actions; providers'
inbox, offer page and respond form, history and CSV, branch e-mails. Each page for a user who may
and for one who may not (A1: not yours is 404; council-only pages are 403 for providers)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from brokerage import services
from brokerage.distribution import distribute_packages
from brokerage.models import Offer, Package
from core.models import PortalSettings
from notifications.models import Notification
from tests.factories import PackageFactory, WardFactory

pytestmark = pytest.mark.django_db


def send(ward, reference: str, *, hours_ago: float = 1, **fields) -> Package:
    """A package distributed `hours_ago` hours ago to every branch covering `ward`."""
    package = PackageFactory(reference=reference, ward=ward, status="queued", **fields)
    distribute_packages(as_of=timezone.now() - timedelta(hours=hours_ago), package_ids=[package.pk])
    package.refresh_from_db()
    return package


@pytest.fixture
def live_package(market, ward):
    """Sent an hour ago to branches a1 (provider A) and b1 (provider B); deadlines still open."""
    return send(ward, "PKG-LIVE", person_name="Mrs Edna Example", postcode="PR1 4AB")


@pytest.fixture
def live_a1(live_package, branch_a1) -> Offer:
    return live_package.offers.get(branch=branch_a1)


@pytest.fixture
def live_b1(live_package, branch_b1) -> Offer:
    return live_package.offers.get(branch=branch_b1)


@pytest.fixture
def offer_a2(market, other_ward, branch_a2) -> Offer:
    """An offer to branch a2: alice's sibling branch at provider A."""
    return send(other_ward, "PKG-A2").offers.get(branch=branch_a2)


def as_user(client, user):
    client.force_login(user)
    return client


def make_offer(offer: Offer, user, start=None) -> Offer:
    return services.offer_respond(
        actor=user,
        offer=offer,
        response="offer_made",
        start_date=start or timezone.localdate() + timedelta(days=7),
    )


# Start dates must be within a year of today (issue 14.4).
SOON = timezone.localdate() + timedelta(days=14)
LATER = timezone.localdate() + timedelta(days=40)

PACKAGE_POST = {
    "reference": "ASC-2026-0142",
    "ward": "E05012001",
    "postcode": "pr1  4ab",
    "service_level": "homecare_single",
    "hours_per_week": "10.5",
    "call_pattern": "4 calls a day, 30 minutes each",
    "carer_gender": "female",
    "urgency": "standard",
    "start_date-day": str(SOON.day),
    "start_date-month": str(SOON.month),
    "start_date-year": str(SOON.year),
    "needs_summary": "Personal care and meals after a hospital stay.",
    "person_name": "Mrs Edna Example",
    "address": "1 Example Street, Preston",
    "full_details": "Key safe 1234.",
}


# --- Who may see the council pages --------------------------------------------------------------


@pytest.mark.parametrize("persona", ["alice", "olivia", "bob"])
def test_provider_users_are_refused_the_package_pages(request, client, live_package, persona):
    as_user(client, request.getfixturevalue(persona))
    for url in [
        reverse("brokerage:packages"),
        reverse("brokerage:package-create"),
        reverse("brokerage:package", args=[live_package.pk]),
        reverse("allocation:package-award", args=[live_package.pk]),
    ]:
        assert client.get(url).status_code == 403, url
    assert (
        client.post(
            reverse("brokerage:package-withdraw", args=[live_package.pk]), {"reason": "x"}
        ).status_code
        == 403
    )
    live_package.refresh_from_db()
    assert live_package.status == "offered"


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("brokerage:packages"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_contract_manager_reads_the_queue_and_package_but_cannot_act(client, carl, live_package):
    as_user(client, carl)
    page = client.get(reverse("brokerage:packages"))
    assert page.status_code == 200
    assert "Create a package" not in page.content.decode()
    detail = client.get(reverse("brokerage:package", args=[live_package.pk])).content.decode()
    assert "PKG-LIVE" in detail
    assert "Shortlist and award" not in detail
    assert client.get(reverse("brokerage:package-create")).status_code == 403
    assert (
        client.post(reverse("brokerage:package-queue", args=[live_package.pk])).status_code == 403
    )


def test_unknown_package_is_404(client, nina):
    as_user(client, nina)
    assert client.get(reverse("brokerage:package", args=[999999])).status_code == 404


# --- The package queue ---------------------------------------------------------------------------


def test_navigator_sees_the_queue_with_counts_and_a_create_link(client, nina, live_package, ward):
    PackageFactory(reference="PKG-DRAFT", ward=ward)
    as_user(client, nina)
    body = client.get(reverse("brokerage:packages")).content.decode()
    assert "PKG-LIVE" in body and "PKG-DRAFT" in body
    assert "2 packages" in body
    assert reverse("brokerage:package-create") in body
    assert "0 of 2" in body  # offers made of offers sent


def test_queue_flags_packages_whose_ward_no_branch_covers(client, nina, market):
    lonely = WardFactory(code="E05099999", name="Nowhere")
    package = send(lonely, "PKG-LONELY")
    assert package.status == "queued" and package.uncovered_at is not None
    as_user(client, nina)
    body = client.get(reverse("brokerage:packages")).content.decode()
    assert "No branch covers this ward" in body
    assert "1 queued package is for a ward no branch covers" in body
    detail = client.get(reverse("brokerage:package", args=[package.pk])).content.decode()
    assert "No branch covers this ward" in detail


def test_queue_filters_by_status_ward_and_reference(client, nina, live_package, ward, other_ward):
    PackageFactory(reference="PKG-DRAFT", ward=other_ward)
    as_user(client, nina)
    url = reverse("brokerage:packages")
    assert "PKG-DRAFT" not in client.get(url, {"status": "offered"}).content.decode()
    assert "PKG-LIVE" not in client.get(url, {"ward": other_ward.code}).content.decode()
    body = client.get(url, {"q": "draft"}).content.decode()
    assert "PKG-DRAFT" in body and "PKG-LIVE" not in body


# --- Creating and editing a package --------------------------------------------------------------


def test_navigator_creates_a_draft_package(client, nina, ward):
    as_user(client, nina)
    response = client.post(reverse("brokerage:package-create"), {**PACKAGE_POST, "action": "draft"})
    package = Package.objects.get(reference="ASC-2026-0142")
    assert response.status_code == 302
    assert response.url == reverse("brokerage:package", args=[package.pk])
    assert package.status == "draft"
    assert package.postcode == "PR1 4AB"
    assert package.start_date == SOON
    assert package.created_by == nina
    page = client.get(response.url).content.decode()
    assert "saved as a draft" in page
    assert "Created" in page  # the audit trail


def test_creating_with_errors_shows_them_and_saves_nothing(client, nina, ward):
    as_user(client, nina)
    data = {
        **PACKAGE_POST,
        "reference": "",
        "ward": "",
        "hours_per_week": "lots",
        "start_date-day": "31",
        "start_date-month": "2",
        "action": "queue",
    }
    response = client.post(reverse("brokerage:package-create"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert Package.objects.count() == 0
    assert "There is a problem" in body
    assert "<title>Error: Create a package" in body
    for message in [
        "Enter the package reference",
        "Choose the ward",
        "Hours of care a week must be a number, like 10 or 7.5",
        "Wanted start date must be a real date",
    ]:
        assert body.count(message) == 2, message  # in the summary and by the field
    assert 'href="#id_start_date-day"' in body
    assert 'value="4 calls a day, 30 minutes each"' in body  # what was typed is kept


def test_a_date_missing_its_month_says_so(client, nina, ward):
    as_user(client, nina)
    body = client.post(
        reverse("brokerage:package-create"), {**PACKAGE_POST, "start_date-month": ""}
    ).content.decode()
    assert "Wanted start date must include a month" in body
    assert Package.objects.count() == 0


def test_duplicate_reference_is_an_error_on_the_field(client, nina, live_package):
    as_user(client, nina)
    body = client.post(
        reverse("brokerage:package-create"), {**PACKAGE_POST, "reference": "PKG-LIVE"}
    ).content.decode()
    assert "A package with this reference already exists" in body
    assert Package.objects.count() == 1


def test_save_and_queue(client, nina, ward):
    as_user(client, nina)
    client.post(reverse("brokerage:package-create"), {**PACKAGE_POST, "action": "queue"})
    package = Package.objects.get()
    assert package.status == "queued" and package.queued_at is not None


def test_save_and_send_now_offers_it_to_the_covering_branches(client, nina, market):
    as_user(client, nina)
    response = client.post(
        reverse("brokerage:package-create"),
        {**PACKAGE_POST, "urgency": "urgent", "action": "send"},
        follow=True,
    )
    package = Package.objects.get()
    # L2 for send now: saved, then a confirmation of where it goes before anything is sent.
    body = response.content.decode()
    assert package.status == "draft"
    assert "Check before you send now" in body
    assert "Amber Homecare Ltd, Preston branch" in body and "Lancaster branch" in body
    response = client.post(reverse("brokerage:package-send-now", args=[package.pk]), follow=True)
    package.refresh_from_db()
    assert package.status == "offered"
    assert set(package.offers.values_list("branch__ref", flat=True)) == {"A1", "B1"}
    assert "sent to 2 branches" in response.content.decode()


def test_send_now_for_a_ward_nobody_covers_shows_why_not_a_500(client, nina, market):
    lonely = WardFactory(code="E05099999", name="Nowhere")
    package = PackageFactory(reference="PKG-LONELY", ward=lonely)
    as_user(client, nina)
    response = client.post(reverse("brokerage:package-send-now", args=[package.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert "No active branch covers ward E05099999" in body


def test_navigator_edits_a_queued_package(client, nina, queued_package):
    queued_package.created_by = nina  # see the report: full_clean refuses a package without one
    queued_package.save()
    as_user(client, nina)
    page = client.get(reverse("brokerage:package-edit", args=[queued_package.pk])).content.decode()
    assert f'value="{queued_package.ward.code}" selected' in page
    data = {
        **PACKAGE_POST,
        "reference": "PKG-1",
        "start_date-day": str(LATER.day),
        "start_date-month": str(LATER.month),
        "start_date-year": str(LATER.year),
    }
    response = client.post(reverse("brokerage:package-edit", args=[queued_package.pk]), data)
    assert response.status_code == 302
    queued_package.refresh_from_db()
    assert queued_package.hours_per_week == 10.5
    assert queued_package.status == "queued"


def test_an_offered_package_cannot_be_edited(client, nina, live_package):
    as_user(client, nina)
    response = client.get(reverse("brokerage:package-edit", args=[live_package.pk]), follow=True)
    assert "can no longer be edited" in response.content.decode()


def test_queueing_twice_shows_the_state_problem(client, nina, queued_package):
    as_user(client, nina)
    response = client.post(reverse("brokerage:package-queue", args=[queued_package.pk]))
    assert response.status_code == 200
    assert "is queued; it cannot become queued" in response.content.decode()


# --- The package page ----------------------------------------------------------------------------


def test_package_page_shows_offers_responses_and_the_audit_trail(
    client, nina, alice, live_package, live_a1
):
    make_offer(live_a1, alice)
    as_user(client, nina)
    body = client.get(reverse("brokerage:package", args=[live_package.pk])).content.decode()
    assert "Preston" in body and "Lancaster" in body  # both branches offered
    assert "Offer Made" in body and "Awaiting answer" in body
    assert "Mrs Edna Example" in body  # council sees the person
    assert "Sent to branches" in body and "Branch answered" in body
    assert "Shortlist and award" in body and "Withdraw" in body


def test_navigator_withdraws_a_package_with_a_reason(client, nina, live_package):
    as_user(client, nina)
    url = reverse("brokerage:package-withdraw", args=[live_package.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "Went into residential care"}, follow=True)
    live_package.refresh_from_db()
    assert live_package.status == "withdrawn"
    assert set(live_package.offers.values_list("outcome", flat=True)) == {"withdrawn"}
    body = response.content.decode()
    assert "Package PKG-LIVE withdrawn" in body
    assert "Went into residential care" in body


def test_withdrawing_needs_a_reason(client, nina, live_package):
    as_user(client, nina)
    body = client.post(
        reverse("brokerage:package-withdraw", args=[live_package.pk]), {"reason": " "}
    ).content.decode()
    assert "Say why the package is withdrawn" in body
    live_package.refresh_from_db()
    assert live_package.status == "offered"


def test_withdrawing_an_awarded_package_shows_why_not(client, nina, alice, live_package, live_a1):
    make_offer(live_a1, alice)
    services.package_award(actor=nina, package=live_package, offer=live_a1)
    as_user(client, nina)
    response = client.post(
        reverse("brokerage:package-withdraw", args=[live_package.pk]), {"reason": "Not needed"}
    )
    assert response.status_code == 200
    assert "is awarded; it cannot become withdrawn" in response.content.decode()


def test_navigator_awards_via_the_shortlist(
    client, nina, alice, bob, live_package, live_a1, live_b1
):
    make_offer(live_a1, alice, start=timezone.localdate() + timedelta(days=10))
    make_offer(live_b1, bob, start=timezone.localdate() + timedelta(days=3))
    as_user(client, nina)
    url = reverse("allocation:package-award", args=[live_package.pk])
    shortlist = client.get(url).content.decode()
    assert shortlist.index("Lancaster") < shortlist.index("Preston")  # earlier start first
    assert "after the wanted date" in shortlist and "Response rate" in shortlist
    # L2: choosing an offer shows what the award will do, and awards nothing yet.
    confirm = client.post(url, {"offer": live_a1.pk}).content.decode()
    assert "Check the award before you make it" in confirm
    live_a1.refresh_from_db()
    assert live_a1.outcome == "open"
    # Not the top-ranked offer: a reason is needed.
    refused = client.post(
        url, {"offer": live_a1.pk, "confirm": "yes", "feedback": "Closer"}
    ).content.decode()
    assert "rather than the top-ranked one" in refused
    response = client.post(
        url,
        {
            "offer": live_a1.pk,
            "confirm": "yes",
            "feedback": "Closer to other people they support",
            "reason": "Already supports two people on the street",
        },
        follow=True,
    )
    assert "awarded to Amber Homecare Ltd (Preston branch)" in response.content.decode()
    live_a1.refresh_from_db()
    live_b1.refresh_from_db()
    assert live_a1.outcome == "awarded"
    assert live_b1.outcome == "not_awarded"
    assert live_b1.feedback == "Closer to other people they support"


def test_awarding_again_shows_the_problem_not_a_500(client, nina, alice, live_package, live_a1):
    make_offer(live_a1, alice)
    services.package_award(actor=nina, package=live_package, offer=live_a1)
    as_user(client, nina)
    response = client.post(
        reverse("allocation:package-award", args=[live_package.pk]),
        {"offer": live_a1.pk, "confirm": "yes"},
    )
    assert response.status_code == 200
    assert "it cannot be awarded" in response.content.decode()


def test_an_offer_without_an_offer_made_cannot_be_awarded(client, nina, live_package, live_a1):
    as_user(client, nina)
    body = client.post(
        reverse("allocation:package-award", args=[live_package.pk]),
        {"offer": live_a1.pk, "confirm": "yes"},
    ).content.decode()
    assert "Only an open offer where the branch made an offer can be awarded" in body


def test_cancelling_after_award_records_the_claim(client, nina, alice, live_package, live_a1):
    make_offer(live_a1, alice)
    services.package_award(actor=nina, package=live_package, offer=live_a1)
    as_user(client, nina)
    url = reverse("brokerage:package-cancel", args=[live_package.pk])
    assert "4.29 hours" in client.get(url).content.decode()  # 3 days of 10 hours a week
    today = timezone.localdate()  # L3: not before the award, which was just now
    response = client.post(
        url,
        {
            "cancelled_on-day": str(today.day),
            "cancelled_on-month": str(today.month),
            "cancelled_on-year": str(today.year),
            "reason": "Moved away",
            "doorstep": "on",
        },
        follow=True,
    )
    live_package.refresh_from_db()
    assert live_package.status == "cancelled"
    assert live_package.cancelled_on_doorstep and live_package.claim_hours == 1
    assert "The provider may claim 1 hour." in response.content.decode()


def test_cancelling_needs_a_date(client, nina, alice, live_package, live_a1):
    make_offer(live_a1, alice)
    services.package_award(actor=nina, package=live_package, offer=live_a1)
    as_user(client, nina)
    body = client.post(
        reverse("brokerage:package-cancel", args=[live_package.pk]), {"reason": "Moved away"}
    ).content.decode()
    assert "Enter the date the package was cancelled" in body


# --- The provider's inbox -------------------------------------------------------------------------


def test_branch_user_inbox_shows_open_offers_with_time_left(client, alice, live_a1, offer_a2):
    as_user(client, alice)
    body = client.get(reverse("brokerage:inbox")).content.decode()
    assert "PKG-LIVE" in body
    assert "PKG-A2" not in body  # the sibling branch's
    assert re.search(r"2 days 2[23] hours left", body)
    assert "Deadline soon" not in body


def test_inbox_warns_when_the_deadline_is_close(client, alice, market, ward):
    send(ward, "PKG-OLD", hours_ago=65)  # 7 hours left of 72
    as_user(client, alice)
    body = client.get(reverse("brokerage:inbox")).content.decode()
    assert "Deadline soon" in body
    assert "1 offer must be answered soon" in body


def test_inbox_lists_answered_open_offers_after_the_waiting_ones(client, alice, live_a1, ward):
    send(ward, "PKG-WAITING")
    make_offer(live_a1, alice)
    as_user(client, alice)
    body = client.get(reverse("brokerage:inbox")).content.decode()
    assert (
        body.index("PKG-WAITING") < body.index("Answered, not yet awarded") < body.index("PKG-LIVE")
    )


def test_organisation_user_sees_all_its_branches_and_can_filter(
    client, olivia, live_a1, offer_a2, branch_a2
):
    as_user(client, olivia)
    body = client.get(reverse("brokerage:inbox")).content.decode()
    assert "PKG-LIVE" in body and "PKG-A2" in body
    filtered = client.get(reverse("brokerage:inbox"), {"branch": branch_a2.pk}).content.decode()
    assert "PKG-A2" in filtered and "PKG-LIVE" not in filtered


def test_other_providers_offers_never_show_in_the_inbox(client, bob, live_b1, offer_a2):
    as_user(client, bob)
    body = client.get(reverse("brokerage:inbox")).content.decode()
    assert "PKG-LIVE" in body and "PKG-A2" not in body


# --- The offer page and the respond form ------------------------------------------------------


def test_branch_user_cannot_see_a_sibling_branchs_offer(client, alice, offer_a2):
    as_user(client, alice)
    assert client.get(reverse("brokerage:offer", args=[offer_a2.pk])).status_code == 404


def test_other_providers_offer_is_404_to_read_and_to_answer(client, bob, live_a1):
    as_user(client, bob)
    url = reverse("brokerage:offer", args=[live_a1.pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"response": "unable_to_accept", "reason": "no_capacity"}).status_code
        == 404
    )
    live_a1.refresh_from_db()
    assert live_a1.placement_response is None


def test_organisation_user_can_open_any_of_its_branches_offers(client, olivia, offer_a2):
    as_user(client, olivia)
    assert client.get(reverse("brokerage:offer", args=[offer_a2.pk])).status_code == 200


def test_offer_page_shows_no_personal_details_before_award(client, alice, live_a1):
    as_user(client, alice)
    body = client.get(reverse("brokerage:offer", args=[live_a1.pk])).content.decode()
    assert "PKG-LIVE" in body and "PR1" in body
    assert "PR1 4AB" not in body
    assert "Mrs Edna Example" not in body
    assert "1 Example Street" not in body
    assert "Person's details" not in body


def test_awarded_provider_sees_the_persons_details(client, nina, alice, live_package, live_a1):
    make_offer(live_a1, alice)
    services.package_award(actor=nina, package=live_package, offer=live_a1)
    as_user(client, alice)
    body = client.get(reverse("brokerage:offer", args=[live_a1.pk])).content.decode()
    assert "Person's details" in body
    assert "Mrs Edna Example" in body and "PR1 4AB" in body
    assert "has been awarded to you" in body


def test_branch_answers_offer_made_via_the_page(client, alice, live_a1):
    as_user(client, alice)
    url = reverse("brokerage:offer", args=[live_a1.pk])
    start = timezone.localdate() + timedelta(days=10)  # L1: never a day already past
    response = client.post(
        url,
        {
            "response": "offer_made",
            "start_date-day": str(start.day),
            "start_date-month": str(start.month),
            "start_date-year": str(start.year),
            "offer_note": "We already support two people on this street",
        },
    )
    assert response.status_code == 302 and response.url == url
    live_a1.refresh_from_db()
    assert live_a1.placement_response == "offer_made"
    assert live_a1.offered_start_date == start
    assert live_a1.note == "We already support two people on this street"
    assert live_a1.responded_by == alice
    body = client.get(url).content.decode()
    assert f"Offer Made, starting {start:%-d %B %Y}" in body
    assert "Change your answer" in body


def test_offer_made_needs_a_start_date(client, alice, live_a1):
    as_user(client, alice)
    body = client.post(
        reverse("brokerage:offer", args=[live_a1.pk]), {"response": "offer_made"}
    ).content.decode()
    assert "Enter the date you can start" in body
    live_a1.refresh_from_db()
    assert live_a1.placement_response is None


def test_unable_to_accept_for_another_reason_needs_a_note(client, alice, live_a1):
    as_user(client, alice)
    url = reverse("brokerage:offer", args=[live_a1.pk])
    body = client.post(url, {"response": "unable_to_accept", "reason": "other"}).content.decode()
    assert "Say what the other reason is" in body
    assert 'href="#id_decline_note"' in body
    client.post(
        url, {"response": "unable_to_accept", "reason": "other", "decline_note": "Office move"}
    )
    live_a1.refresh_from_db()
    assert (live_a1.placement_response, live_a1.reason, live_a1.note) == (
        "unable_to_accept",
        "other",
        "Office move",
    )


def test_nothing_chosen_asks_for_an_answer(client, alice, live_a1):
    as_user(client, alice)
    body = client.post(reverse("brokerage:offer", args=[live_a1.pk]), {}).content.decode()
    assert "Choose Offer Made or Unable to Accept" in body
    assert 'href="#id_response_0"' in body


def test_branch_can_change_its_answer_while_the_window_is_open(client, alice, live_a1):
    make_offer(live_a1, alice)
    as_user(client, alice)
    url = reverse("brokerage:offer", args=[live_a1.pk])
    page = client.get(url).content.decode()
    assert 'value="offer_made" data-aria-controls="conditional-offer-made" checked' in page
    client.post(url, {"response": "unable_to_accept", "reason": "no_capacity"})
    live_a1.refresh_from_db()
    assert live_a1.placement_response == "unable_to_accept"
    assert live_a1.offered_start_date is None


def test_answering_after_the_deadline_shows_the_closed_message(client, alice, offer_a1):
    # offer_a1 was sent on Monday 2 March 2026 at 11:00; its deadline has long passed.
    as_user(client, alice)
    url = reverse("brokerage:offer", args=[offer_a1.pk])
    page = client.get(url).content.decode()
    assert "The deadline to answer passed at 11:00 on 5 March 2026" in page
    assert 'name="response"' not in page
    response = client.post(url, {"response": "unable_to_accept", "reason": "no_capacity"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    offer_a1.refresh_from_db()
    assert offer_a1.placement_response is None


def test_answering_a_withdrawn_package_shows_why_not(client, nina, alice, live_package, live_a1):
    services.package_withdraw(actor=nina, package=live_package, reason="Not needed")
    as_user(client, alice)
    response = client.post(
        reverse("brokerage:offer", args=[live_a1.pk]),
        {"response": "unable_to_accept", "reason": "no_capacity"},
    )
    assert "withdrawn by the council" in response.content.decode()


def test_council_users_cannot_answer_for_a_provider(client, nina, live_a1):
    as_user(client, nina)
    url = reverse("brokerage:offer", args=[live_a1.pk])
    page = client.get(url).content.decode()
    assert "Only the provider offered the package can answer it" in page
    assert 'name="response"' not in page
    assert (
        client.post(url, {"response": "unable_to_accept", "reason": "no_capacity"}).status_code
        == 403
    )


def test_provider_not_chosen_sees_the_feedback(
    client, nina, alice, bob, live_package, live_a1, live_b1
):
    make_offer(live_a1, alice)
    make_offer(live_b1, bob)
    services.package_award(
        actor=nina, package=live_package, offer=live_a1, feedback="An earlier start was offered"
    )
    as_user(client, bob)
    body = client.get(reverse("brokerage:offer", args=[live_b1.pk])).content.decode()
    assert "Not Awarded" in body
    assert "An earlier start was offered" in body
    assert "Mrs Edna Example" not in body
    assert "awarded to another provider" in body


# --- History and its CSV ----------------------------------------------------------------------


def test_history_shows_placement_response_and_outcome(
    client, nina, alice, live_package, live_a1, offer_a1
):
    make_offer(live_a1, alice)
    as_user(client, alice)
    body = client.get(reverse("brokerage:history")).content.decode()
    assert "Placement response" in body and "Outcome" in body
    assert "PKG-LIVE" in body and "PKG-1" in body
    assert "Offer Made" in body and "Open" in body


def test_history_shows_the_council_each_offers_branch_and_provider_and_a_branch_user_neither(
    client, nina, alice, live_a1
):
    provider_line = f'<br><span class="govuk-body-s">{live_a1.provider.name}</span></td>'
    as_user(client, nina)
    body = client.get(reverse("brokerage:history")).content.decode()
    assert ">Branch</th>" in body and provider_line in body
    assert f'<td class="govuk-table__cell">{live_a1.branch.name}<br>' in body
    as_user(client, alice)
    body = client.get(reverse("brokerage:history")).content.decode()
    assert ">Branch</th>" not in body and provider_line not in body


def test_history_filters_by_placement_response(client, alice, live_a1, offer_a1):
    make_offer(live_a1, alice)
    as_user(client, alice)
    body = client.get(
        reverse("brokerage:history"), {"placement_response": "offer_made"}
    ).content.decode()
    assert "PKG-LIVE" in body and "PKG-1" not in body
    assert "history.csv?placement_response=offer_made" in body


def test_history_csv_contains_only_the_users_own_rows(
    client, alice, live_a1, live_b1, offer_a2, offer_a1
):
    as_user(client, alice)
    response = client.get(reverse("brokerage:history-csv"))
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["branch_ref"] for r in rows} == {"A1"}
    assert {r["package_reference"] for r in rows} == {"PKG-LIVE", "PKG-1"}
    assert "person_name" not in rows[0]


def test_history_csv_keeps_the_pages_filters(client, olivia, live_a1, offer_a2, branch_a2):
    as_user(client, olivia)
    response = client.get(reverse("brokerage:history-csv"), {"branch": branch_a2.pk})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["package_reference"] for r in rows] == ["PKG-A2"]


def test_history_for_another_provider_shows_nothing_of_ours(client, bob, live_a1, offer_a2):
    as_user(client, bob)
    body = client.get(reverse("brokerage:history")).content.decode()
    assert "PKG-A2" not in body
    assert "Preston" not in body  # branch a1's name


# --- E-mails sent to a branch --------------------------------------------------------------------


def test_branch_sees_the_emails_sent_to_it(client, alice, live_a1, branch_a1):
    as_user(client, alice)
    body = client.get(reverse("brokerage:notifications", args=[branch_a1.pk])).content.decode()
    assert "PKG-LIVE" in body
    assert "New package offered" in body
    assert Notification.objects.get(offer=live_a1).to_email in body


def test_branch_user_cannot_see_another_branchs_emails(
    client, alice, live_b1, branch_b1, branch_a2
):
    as_user(client, alice)
    assert client.get(reverse("brokerage:notifications", args=[branch_b1.pk])).status_code == 404
    assert client.get(reverse("brokerage:notifications", args=[branch_a2.pk])).status_code == 404


def test_council_sees_any_branchs_emails(client, carl, live_b1, branch_b1):
    as_user(client, carl)
    body = client.get(reverse("brokerage:notifications", args=[branch_b1.pk])).content.decode()
    assert "PKG-LIVE" in body


# --- Query counts do not grow with rows (STYLE 12) ------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def add_packages(ward, n: int, start: int = 0, **fields) -> None:
    for i in range(start, start + n):
        PackageFactory(reference=f"PKG-Q{i:03d}", ward=ward, status="queued", **fields)
    distribute_packages(as_of=timezone.now() - timedelta(hours=1))


@pytest.mark.parametrize(
    ("persona", "url_name"),
    [
        ("alice", "brokerage:inbox"),
        ("olivia", "brokerage:inbox"),
        ("alice", "brokerage:history"),
        ("nina", "brokerage:packages"),
    ],
)
def test_list_pages_make_the_same_queries_for_10_rows_as_for_30(
    request, client, market, ward, django_assert_max_num_queries, persona, url_name
):
    as_user(client, request.getfixturevalue(persona))
    url = reverse(url_name)
    add_packages(ward, 10)
    PortalSettings.load()
    with_10 = count_queries(client, url)
    add_packages(ward, 20, start=10)
    with django_assert_max_num_queries(with_10):
        assert client.get(url).status_code == 200
    assert with_10 <= 10


def test_answered_offers_in_the_inbox_add_no_queries(
    client, alice, market, ward, branch_a1, django_assert_max_num_queries
):
    as_user(client, alice)
    add_packages(ward, 10)
    for offer in Offer.objects.filter(branch=branch_a1)[:5]:
        make_offer(offer, alice)
    with_10 = count_queries(client, reverse("brokerage:inbox"))
    add_packages(ward, 20, start=10)
    for offer in Offer.objects.filter(branch=branch_a1, placement_response__isnull=True)[:15]:
        make_offer(offer, alice)
    with django_assert_max_num_queries(with_10):
        assert client.get(reverse("brokerage:inbox")).status_code == 200


def test_history_filters_by_the_date_sent(client, alice, live_a1, offer_a1):
    # offer_a1 went out on 2 March 2026; live_a1 an hour ago.
    as_user(client, alice)
    url = reverse("brokerage:history")
    before = client.get(url, {"sent_before": "2026-03-03"}).content.decode()
    assert "PKG-1" in before and "PKG-LIVE" not in before
    after = client.get(url, {"sent_after": "2026-03-03"}).content.decode()
    assert "PKG-LIVE" in after and "PKG-1<" not in after


def test_history_pages_through_many_offers(client, alice, market, ward):
    add_packages(ward, 55)
    as_user(client, alice)
    first = client.get(reverse("brokerage:history")).content.decode()
    assert "55 offers" in first and "Page 1 of 2" in first
    second = client.get(reverse("brokerage:history"), {"page": 2}).content.decode()
    assert len(re.findall(r'href="/offers/\d+/"', second)) == 5
