"""P8 answers and their window; P9 placement response and outcome; L2 award; L3 withdraw, cancel."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from brokerage import services
from brokerage.models import Offer, Outcome, PackageStatus, PlacementResponse

from .conftest import MONDAY_11

pytestmark = pytest.mark.django_db
START = date(2026, 3, 9)


def respond(offer, user, when=MONDAY_11 + timedelta(hours=2), **kwargs):
    kwargs.setdefault("response", "offer_made")
    if kwargs["response"] == "offer_made":
        kwargs.setdefault("start_date", START)
    return services.offer_respond(actor=user, offer=offer, now=when, **kwargs)


def test_branch_makes_an_offer_with_start_date_and_note(offer_a1, alice):
    offer = respond(offer_a1, alice, note="We already support two people on this street")
    assert offer.placement_response == PlacementResponse.OFFER_MADE
    assert offer.offered_start_date == START
    assert offer.outcome == Outcome.OPEN
    assert offer.responded_by == alice


def test_offer_made_needs_a_start_date(offer_a1, alice):
    with pytest.raises(services.InvalidResponse) as caught:
        respond(offer_a1, alice, start_date=None)
    assert "start_date" in caught.value.errors


@pytest.mark.parametrize(
    "reason", ["no_capacity", "call_times", "carer_gender", "out_of_area", "needs"]
)
def test_unable_to_accept_with_each_listed_reason(offer_a1, alice, reason):
    offer = respond(offer_a1, alice, response="unable_to_accept", reason=reason)
    assert (offer.placement_response, offer.reason) == ("unable_to_accept", reason)


def test_unable_to_accept_needs_a_listed_reason_and_other_needs_text(offer_a1, alice):
    with pytest.raises(services.InvalidResponse):
        respond(offer_a1, alice, response="unable_to_accept", reason="too_far")
    with pytest.raises(services.InvalidResponse) as caught:
        respond(offer_a1, alice, response="unable_to_accept", reason="other", note=" ")
    assert "note" in caught.value.errors
    assert (
        respond(
            offer_a1, alice, response="unable_to_accept", reason="other", note="Office move"
        ).reason
        == "other"
    )


def test_answer_can_change_until_the_deadline(offer_a1, alice):
    respond(offer_a1, alice, response="unable_to_accept", reason="no_capacity")
    offer = respond(offer_a1, alice, when=offer_a1.deadline - timedelta(minutes=1))
    assert offer.placement_response == PlacementResponse.OFFER_MADE
    assert offer.reason == ""


def test_answer_after_the_deadline_is_refused_with_a_clear_message(offer_a1, alice):
    with pytest.raises(services.BrokerageError, match="deadline to answer passed"):
        respond(offer_a1, alice, when=offer_a1.deadline)
    offer_a1.refresh_from_db()
    assert offer_a1.placement_response is None


def test_answer_after_award_is_refused(offer_a1, offer_b1, alice, bob, nina):
    respond(offer_b1, bob)
    services.package_award(
        actor=nina, package=offer_b1.package, offer=offer_b1, now=MONDAY_11 + timedelta(hours=3)
    )
    with pytest.raises(services.BrokerageError, match="awarded to another provider"):
        respond(offer_a1, alice, when=MONDAY_11 + timedelta(hours=4))


def test_close_expired_marks_unanswered_offers_no_response_once(offer_a1, offer_b1, bob):
    """P6, P9: No Response means the deadline passed with no answer."""
    respond(offer_b1, bob)
    assert services.offers_close_expired(as_of=offer_a1.deadline - timedelta(seconds=1)) == 0
    assert services.offers_close_expired(as_of=offer_a1.deadline) == 1
    assert services.offers_close_expired(as_of=offer_a1.deadline) == 0
    offer_a1.refresh_from_db()
    offer_b1.refresh_from_db()
    assert offer_a1.placement_response == PlacementResponse.NO_RESPONSE
    assert offer_a1.outcome == Outcome.OPEN
    assert offer_b1.placement_response == PlacementResponse.OFFER_MADE


def test_close_expired_command_takes_as_of(offer_a1):
    call_command("close_expired_offers", "--as-of", "2026-03-05T11:00")
    offer_a1.refresh_from_db()
    assert offer_a1.placement_response == PlacementResponse.NO_RESPONSE


def test_award_settles_every_offer(
    offer_a1, offer_b1, alice, bob, nina, market, django_capture_on_commit_callbacks
):
    """L2 and P9: one Awarded; others Not Awarded; the unanswered one Closed Before Response."""
    from tests.factories import BranchFactory, CoverageFactory

    # a third branch that declined
    c1 = BranchFactory(ref="C1")
    CoverageFactory(branch=c1, ward=offer_a1.package.ward)
    package = offer_a1.package
    c_offer = Offer.objects.create(
        package=package,
        branch=c1,
        provider=c1.provider,
        sent_at=MONDAY_11,
        deadline=offer_a1.deadline,
    )
    services.offer_respond(
        actor=None, offer=c_offer, response="unable_to_accept", reason="no_capacity", now=MONDAY_11
    )
    respond(offer_b1, bob)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.package_award(
            actor=nina,
            package=package,
            offer=offer_b1,
            feedback="An earlier start was offered",
            now=MONDAY_11 + timedelta(hours=5),
        )
    package.refresh_from_db()
    assert package.status == PackageStatus.AWARDED
    rows = {
        o.branch.ref: (o.placement_response, o.outcome, o.feedback)
        for o in package.offers.select_related("branch")
    }
    assert rows["B1"] == ("offer_made", "awarded", "")
    assert rows["A1"] == ("closed_before_response", "not_awarded", "")
    assert rows["C1"] == ("unable_to_accept", "not_awarded", "An earlier start was offered")
    # every responder is told; the one who never answered is not e-mailed
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [offer_b1.branch.notification_email, c1.notification_email]
    )


def test_award_twice_is_refused(offer_a1, offer_b1, alice, bob, nina):
    respond(offer_a1, alice)
    respond(offer_b1, bob)
    services.package_award(actor=nina, package=offer_a1.package, offer=offer_a1)
    with pytest.raises(services.BrokerageError):
        services.package_award(actor=nina, package=offer_a1.package, offer=offer_b1)
    assert Offer.objects.filter(outcome="awarded").count() == 1


def test_only_an_offer_made_can_be_awarded(offer_a1, alice, nina):
    respond(offer_a1, alice, response="unable_to_accept", reason="no_capacity")
    with pytest.raises(services.InvalidResponse):
        services.package_award(actor=nina, package=offer_a1.package, offer=offer_a1)


def test_unanswered_offer_past_deadline_becomes_no_response_on_award(offer_a1, offer_b1, bob, nina):
    respond(offer_b1, bob)
    services.package_award(
        actor=nina,
        package=offer_b1.package,
        offer=offer_b1,
        now=offer_a1.deadline + timedelta(hours=1),
    )
    offer_a1.refresh_from_db()
    assert offer_a1.placement_response == PlacementResponse.NO_RESPONSE


def test_withdraw_before_award(offer_a1, offer_b1, bob, nina):
    """L3: withdrawn package; its open offers become Withdrawn; unanswered Closed Before Response."""
    respond(offer_b1, bob)
    services.package_withdraw(
        actor=nina,
        package=offer_a1.package,
        reason="Care no longer needed",
        now=MONDAY_11 + timedelta(hours=6),
    )
    offer_a1.refresh_from_db()
    offer_b1.refresh_from_db()
    assert offer_a1.package.status == PackageStatus.WITHDRAWN
    assert (offer_a1.placement_response, offer_a1.outcome) == (
        "closed_before_response",
        "withdrawn",
    )
    assert (offer_b1.placement_response, offer_b1.outcome) == ("offer_made", "withdrawn")


def test_withdraw_needs_a_reason_and_not_after_award(offer_b1, bob, nina):
    with pytest.raises(services.InvalidResponse):
        services.package_withdraw(actor=nina, package=offer_b1.package, reason="")
    respond(offer_b1, bob)
    services.package_award(actor=nina, package=offer_b1.package, offer=offer_b1)
    with pytest.raises(services.BrokerageError):
        services.package_withdraw(actor=nina, package=offer_b1.package, reason="No longer needed")


@pytest.mark.parametrize(("doorstep", "claim"), [(False, Decimal("4.29")), (True, Decimal("1"))])
def test_cancel_after_award_records_the_claim(offer_b1, bob, nina, doorstep, claim):
    """L3: three days of the hours (10 a week → 4.29), or the assessment hour on the doorstep."""
    respond(offer_b1, bob)
    services.package_award(actor=nina, package=offer_b1.package, offer=offer_b1)
    package = services.package_cancel(
        actor=nina,
        package=offer_b1.package,
        reason="Moved to a care home",
        cancelled_on=timezone.localdate(),  # L3: not before the award, made just now
        doorstep=doorstep,
    )
    assert package.status == PackageStatus.CANCELLED
    assert package.claim_hours == claim


def test_cancel_before_award_is_refused(offered_package, nina):
    with pytest.raises(services.BrokerageError):
        services.package_cancel(
            actor=nina, package=offered_package, reason="x", cancelled_on=date(2026, 3, 10)
        )


def test_every_transition_is_in_the_audit_trail(market, ward, nina, alice, branch_a1):
    """P2, I4: who, when, what, before and after."""
    from core.models import AuditEvent

    package = services.package_create(
        actor=nina,
        reference="AUD-1",
        ward=ward,
        postcode="PR1 4AB",
        service_level="homecare_single",
        hours_per_week=Decimal(7),
        call_pattern="1 call a day",
        carer_gender="any",
        urgency="standard",
        start_date=START,
        needs_summary="Meals",
    )
    services.package_queue(actor=nina, package=package)
    services.package_send_now(actor=nina, package=package, now=MONDAY_11)
    offer = package.offers.get(branch=branch_a1)
    respond(offer, alice)
    services.package_award(
        actor=nina, package=package, offer=offer, now=MONDAY_11 + timedelta(hours=3)
    )
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor_label"))
    assert ("package.create", "nina") in actions
    assert ("package.queued", "nina") in actions
    assert ("package.offered", "nina") in actions
    assert ("offer.respond", "alice") in actions
    assert ("package.awarded", "nina") in actions
    event = AuditEvent.objects.get(action="package.queued")
    assert (event.before["status"], event.after["status"]) == ("draft", "queued")


def test_audit_trail_is_append_only(offer_a1, alice):
    from core.models import AuditEvent

    respond(offer_a1, alice)
    event = AuditEvent.objects.filter(action="offer.respond").first()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_send_now_for_an_uncovered_ward_is_refused_and_changes_nothing(
    market, other_ward, branch_a2, nina
):
    from providers.models import Branch
    from tests.factories import PackageFactory

    Branch.objects.filter(pk=branch_a2.pk).update(is_active=False)
    package = PackageFactory(ward=other_ward, status="draft")
    with pytest.raises(services.BrokerageError, match="No active branch covers"):
        services.package_send_now(actor=nina, package=package)
    package.refresh_from_db()
    assert package.status == PackageStatus.DRAFT
    assert not package.offers.exists()


def test_a_package_without_a_creator_can_still_be_edited(queued_package, nina):
    """Packages made by imports or by a user since removed have no creator."""
    assert queued_package.created_by is None
    package = services.package_update(
        actor=nina, package=queued_package, hours_per_week=Decimal(12)
    )
    assert package.hours_per_week == Decimal(12)
