"""L4 (issue 10): after a package moves, its current provider is the one awarded in its latest round.
The provider it moved from keeps the person's details while it still cares for them (the batch is
sent, nobody awarded yet), and loses them, the package's open review and any claim once the new
round is awarded to another provider; all seen from the outside, as each provider's user would."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brokerage import services
from brokerage.models import Claim
from notifications.models import Notification
from reviews.models import Review
from reviews.services import Answers, review_delegate, review_submit

from .conftest import offer_made_then_awarded
from .test_batches import awarded_to_a


@pytest.fixture
def moving(market, ward, branch_a1):
    package = awarded_to_a(ward, branch_a1, "MOVE-9")
    package.person_name = "Edith Pennyworth"
    package.address = "3 Mill Lane, Preston"
    package.save(update_fields=["person_name", "address"])
    return package


def _sees_person(client, user, offer) -> tuple[bool, bool]:
    """(the offer page shows the person's name, the API's `person` is given) for `user`."""
    client.force_login(user)
    page = client.get(f"/offers/{offer.pk}/")
    assert page.status_code == 200
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    person = api.get(f"/api/v1/offers/{offer.pk}/").json()["person"]
    return "Edith Pennyworth" in page.content.decode(), person is not None


def _send_again(nina, package, *, reason: str = "Moving") -> None:
    """The package reallocated: sent in a batch of its own, its next round (L4)."""
    (batch,) = services.batches_create(actor=nina, package_ids=[package.pk], reason=reason)
    services.batch_send(actor=nina, batch=batch)


def _told_moved(review) -> list[Notification]:
    """The e-mails telling a provider `review` moved to it, oldest first."""
    return list(Notification.objects.filter(review=review, kind="review_moved").order_by("pk"))


def _move(nina, package, branch, round_: int) -> None:
    """The package reallocated and awarded to `branch`, whose offer is of round `round_`."""
    _send_again(nina, package)
    offer_made_then_awarded(nina, package, package.offers.get(branch=branch, round=round_))


def test_L4_moved_package_details_review_and_claim_follow_the_current_provider(
    client, nina, rita, alice, bob, moving, branch_a1, branch_b1
):
    round_one = moving.offers.get(branch=branch_a1, round=1)
    assert _sees_person(client, alice, round_one) == (True, True)
    review = review_delegate(actor=rita, package=moving)
    review_submit(
        actor=alice,
        review=review,
        answers=Answers(
            current_hours=moving.hours_per_week,
            proposed_hours=moving.hours_per_week,
            outcomes="Going well",
            capacity_concern=False,
        ),
    )
    client.force_login(alice)
    assert client.get(f"/reviews/{review.pk}/").status_code == 200

    _send_again(nina, moving, reason="A leaves")
    # Sent, not yet awarded: A still cares for the person, so still sees who it is for.
    assert _sees_person(client, alice, round_one) == (True, True)
    b1_offer = moving.offers.get(branch=branch_b1, round=2)
    assert _sees_person(client, bob, b1_offer) == (False, False)

    offer_made_then_awarded(nina, moving, b1_offer, answered_by=bob)
    # Awarded in round 2 to B: B now sees the person; A's round-1 award stays in the record
    # (its page still says Awarded) but shows nothing of the person any more.
    assert _sees_person(client, bob, b1_offer) == (True, True)
    assert _sees_person(client, alice, round_one) == (False, False)
    round_one.refresh_from_db()
    assert round_one.outcome == "awarded"

    # The open review went to B, to complete afresh; A can no longer reach it (404, A1).
    review.refresh_from_db()
    assert (review.provider_id, review.branch_id, review.status, review.outcome) == (
        branch_b1.provider_id,
        branch_b1.pk,
        "delegated",
        None,
    )
    # B is e-mailed as for a delegation, saying the review came with the package; A is not.
    first, moved_email = Notification.objects.filter(review=review).order_by("pk")
    assert (moved_email.provider_id, moved_email.branch_id) == (branch_b1.provider_id, branch_b1.pk)
    assert branch_b1.notification_email in moved_email.to_email
    assert branch_a1.notification_email not in moved_email.to_email
    assert "moved to you with the package" in moved_email.body
    assert "moved to you" not in first.body
    client.force_login(alice)
    assert client.get(f"/reviews/{review.pk}/").status_code == 404
    assert "MOVE-9" not in client.get("/reviews/").content.decode()
    client.force_login(bob)
    assert client.get(f"/reviews/{review.pk}/").status_code == 200

    # Cancelled now, the claim is B's (the current provider's), never A's.
    services.package_cancel(
        actor=nina,
        package=moving,
        reason="Moved into a care home",
        cancelled_on=timezone.localdate(),
    )
    claim = Claim.objects.get(package=moving)
    assert claim.provider_id == branch_b1.provider_id
    client.force_login(alice)
    assert "MOVE-9" not in client.get("/claims/").content.decode()
    assert "You may claim" not in client.get(f"/offers/{round_one.pk}/").content.decode()
    client.force_login(bob)
    assert "MOVE-9" in client.get("/claims/").content.decode()


def test_L4_review_of_a_package_not_moved_stays_with_its_provider(rita, moving, branch_a1):
    """Awarding in a later round to the same provider (or not moving) leaves the review alone."""
    from reviews.services import reviews_follow_holder

    review = review_delegate(actor=rita, package=moving)
    assert reviews_follow_holder(actor=None, package=moving) == []
    assert Notification.objects.filter(review=review).count() == 1  # the delegation's alone
    review.refresh_from_db()
    assert (review.provider_id, review.status) == (branch_a1.provider_id, "delegated")
    assert Review.objects.count() == 1


def test_L4_a_review_moved_twice_is_sent_to_each_provider_it_moves_to(
    nina, rita, moving, ward, branch_a1, branch_b1
):
    """A package that moves on again takes its open review with it each time, and each new
    provider is told (the outbox's one e-mail per object and kind held the second back)."""
    from tests.factories import BranchFactory, CoverageFactory, ProviderFactory

    c1 = BranchFactory(provider=ProviderFactory(name="Cedar Care"), ref="C1")
    CoverageFactory(branch=c1, ward=ward)
    review = review_delegate(actor=rita, package=moving)

    _move(nina, moving, branch_b1, 2)
    _move(nina, moving, c1, 3)
    review.refresh_from_db()
    assert review.provider_id == c1.provider_id
    told = _told_moved(review)
    assert [(n.provider_id, n.branch_id) for n in told] == [
        (branch_b1.provider_id, branch_b1.pk),
        (c1.provider_id, c1.pk),
    ]
    assert c1.notification_email in told[1].to_email


def test_L4_a_review_that_comes_back_to_a_provider_tells_it_again(
    nina, rita, moving, branch_a1, branch_b1
):
    """A -> B -> A -> B: each move is one e-mail, the round that moved it its occasion, so the
    provider the review comes back to is told again (one e-mail a provider held the last back)."""
    review = review_delegate(actor=rita, package=moving)
    _move(nina, moving, branch_b1, 2)
    _move(nina, moving, branch_a1, 3)
    _move(nina, moving, branch_b1, 4)
    review.refresh_from_db()
    assert review.provider_id == branch_b1.provider_id
    told = _told_moved(review)
    assert [(n.branch_id, n.occasion) for n in told] == [
        (branch_b1.pk, 2),
        (branch_a1.pk, 3),
        (branch_b1.pk, 4),
    ]
    assert branch_b1.notification_email in told[2].to_email
    # The same move recorded again (a retried award's transaction) is still told once.
    from notifications.outbox import notifications_enqueue
    from reviews.services import delegation_email

    assert notifications_enqueue([delegation_email(review, moved_in_round=4)]) == []
    assert len(_told_moved(review)) == 3


def _listed_and_own(api):
    """Every offer as the offers list gives it, each beside its own `GET /offers/{id}/`, and
    the list's query count."""
    own = {o["id"]: o for o in api.get("/api/v1/offers/?page_size=500").json()["results"]}
    own = {pk: api.get(f"/api/v1/offers/{pk}/").json() for pk in own}  # P11 marks them seen first
    with CaptureQueriesContext(connection) as ctx:
        listed = api.get("/api/v1/offers/?page_size=500").json()["results"]
    return listed, own, len(ctx)


def test_L4_L6_P7_the_offers_list_gives_each_offer_as_its_own_read_does(
    api_as, nina, alice, bob, carl, moving, branch_a1, branch_b1
):
    """Issue 13: a page of the offers list adds the e-mail state (P7), the standing (L6) and
    whether a later award superseded an award (L4) in two queries over the page, where one offer
    reads them in its own query. Both must say the same of every offer, for every caller; the
    list's queries stay as many after the package moved (no query an offer)."""
    callers = (alice, bob, carl)
    before = {user: _listed_and_own(api_as(user))[2] for user in callers}
    _send_again(nina, moving, reason="A leaves")
    offer_made_then_awarded(nina, moving, moving.offers.get(branch=branch_b1, round=2))
    lists = {}
    for user in callers:
        listed, own, queries = _listed_and_own(api_as(user))
        assert [o["id"] for o in listed] and {o["id"] for o in listed} == set(own)
        for offer in listed:
            assert offer == own[offer["id"]], offer["id"]
        assert queries == before[user]
        lists[user] = {o["id"]: o for o in listed}
    # What the comparison covered: A's award superseded (no person any more), B's current one
    # (the person, its standing), and the offer e-mails' states.
    council = lists[carl]
    a_award = council[moving.offers.get(branch=branch_a1, round=1).pk]
    b_award = council[moving.offers.get(branch=branch_b1, round=2).pk]
    assert (a_award["outcome"], a_award["person"]) == ("awarded", None)
    assert b_award["person"]["name"] == "Edith Pennyworth"
    assert b_award["standing"]["awarded"]["score"] == b_award["standing"]["score"]
    assert {o["email_state"] for o in council.values()} - {None}
