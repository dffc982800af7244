"""Rules held at their edges: A3 postcodes, I4 audit of every offer change, P6 deadlines across
the clock change, P7 stuck e-mails, P5 a package skipped while locked, I3 impossible moments."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from brokerage import services
from brokerage.distribution import deadlines, distribute_packages
from brokerage.models import Offer, Package, normalise_postcode
from core.models import AuditEvent
from core.schedules import ensure_schedules
from notifications.models import Notification

from .conftest import MONDAY_11

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")

SOON = timezone.localdate() + timedelta(days=7)  # within a year of today (issue 14.4)


@pytest.mark.parametrize(
    ("typed", "stored", "district"),
    [
        ("pr14ab", "PR1 4AB", "PR1"),
        (" pr1  4ab ", "PR1 4AB", "PR1"),
        ("BB104AB", "BB10 4AB", "BB10"),
        ("l394ab", "L39 4AB", "L39"),
    ],
)
def test_postcode_is_stored_with_its_space_so_providers_see_only_the_district(
    typed, stored, district
):
    """A3: a postcode typed without a space must not reach providers whole."""
    assert normalise_postcode(typed) == stored
    assert Package(postcode=typed).postcode_district == district


@pytest.mark.parametrize("bad", ["", "PR1", "12345", "PR1 4A", "NOT A POSTCODE"])
def test_a_non_postcode_is_refused(bad):
    with pytest.raises(ValueError, match="full UK postcode"):
        normalise_postcode(bad)


def test_api_stores_the_normalised_postcode(api_as, nina, market):
    body = {
        "reference": "PC-1", "ward": "E05012001", "postcode": "pr14ab", "service_level": "homecare_single",
        "hours_per_week": 5, "urgency": "standard", "start_date": str(SOON), "carer_gender": "any",
        "call_pattern": "1 call", "needs_summary": "Meals",
    }  # fmt: skip
    response = api_as(nina).post("/api/v1/packages/", body, format="json")
    assert (
        response.json()["postcode"] == "PR1 4AB" and response.json()["postcode_district"] == "PR1"
    )


def test_every_offer_closure_is_in_the_audit_trail(offer_a1, offer_b1, bob, nina):
    """I4: No Response, Closed Before Response, Not Awarded and Withdrawn are all recorded."""
    services.offers_close_expired(as_of=offer_a1.deadline)
    event = AuditEvent.objects.get(action="offer.no_response", object_id=str(offer_a1.pk))
    assert event.before == {"placement_response": None, "outcome": "open"}
    assert event.after == {"placement_response": "no_response"}


def test_award_records_each_loser(offered_package, offer_a1, offer_b1, bob, nina):
    services.offer_respond(
        actor=bob, offer=offer_b1, response="offer_made", start_date=MONDAY_11.date(), now=MONDAY_11
    )
    services.offer_respond(
        actor=None, offer=offer_a1, response="unable_to_accept", reason="no_capacity", now=MONDAY_11
    )
    offer_c = Offer.objects.create(
        package=offered_package,
        branch=offer_a1.branch.provider.branches.create(ref="A9", name="Extra"),
        provider=offer_a1.provider,
        sent_at=MONDAY_11,
        deadline=MONDAY_11 + timedelta(days=3),
    )
    services.package_award(
        actor=nina,
        package=offered_package,
        offer=offer_b1,
        feedback="Earlier start",
        now=MONDAY_11 + timedelta(hours=1),
    )
    a1_actions = AuditEvent.objects.filter(
        object_type="brokerage.offer", object_id=str(offer_a1.pk)
    )
    assert "offer.not_awarded" in set(a1_actions.values_list("action", flat=True))
    assert set(AuditEvent.objects.filter(object_id=str(offer_c.pk)).values_list("action", flat=True)) == {
        "offer.closed_before_response", "offer.not_awarded",
    }  # fmt: skip


def test_withdrawal_records_each_offer(offer_a1, offer_b1, nina):
    services.package_withdraw(
        actor=nina,
        package=offer_a1.package,
        reason="Not needed",
        now=MONDAY_11 + timedelta(hours=1),
    )
    assert AuditEvent.objects.filter(action="offer.withdrawn", actor_label="nina").count() == 2


def test_deadline_is_the_same_whichever_zone_the_moment_carries():
    """P6 across the spring clock change: sent Friday 27 March 2026 11:00 GMT."""
    london = datetime(2026, 3, 27, 11, 0, tzinfo=LONDON)
    utc = london.astimezone(UTC)
    assert deadlines(london) == deadlines(utc)
    standard, urgent = deadlines(london)
    assert standard - london == timedelta(hours=72)
    assert standard.astimezone(LONDON).hour == 12  # 72 real hours later, in British Summer Time


def test_a_stuck_send_is_retried_by_when_it_was_claimed_not_created(queued_package, market):
    from unittest import mock

    from notifications.outbox import notifications_resend

    with mock.patch("notifications.outbox._send_on_commit"):
        distribute_packages(as_of=MONDAY_11)
    now = timezone.now()
    Notification.objects.update(
        created_at=now - timedelta(hours=2), state="sending", claimed_at=now - timedelta(minutes=2)
    )
    assert notifications_resend(as_of=now) == 0  # in flight: left alone
    assert set(Notification.objects.values_list("state", flat=True)) == {"sending"}
    Notification.objects.update(claimed_at=now - timedelta(hours=1))
    assert notifications_resend(as_of=now) == 2


def test_a_package_skipped_by_the_run_is_caught_up(queued_package, market):
    """P5: a navigator held the package locked at 11:00; the run went ahead without it."""
    ensure_schedules()
    slot = datetime(2026, 3, 2, 11, 0, tzinfo=LONDON)
    Package.objects.filter(pk=queued_package.pk).update(queued_at=slot - timedelta(hours=2))
    distribute_packages(as_of=slot, package_ids=[])  # the run that skipped it
    from brokerage.schedule import distribution_catch_up

    result = distribution_catch_up(now=slot + timedelta(minutes=5))
    assert result is not None and result.packages == 1


@pytest.mark.parametrize(
    ("moment", "why"),
    [("2026-03-29T01:30", "does not exist"), ("2026-10-25T01:30", "happens twice")],
)
def test_as_of_refuses_a_london_time_that_does_not_exist_or_happens_twice(moment, why):
    with pytest.raises(CommandError, match=why):
        call_command("distribute_packages", "--as-of", moment)
    call_command("distribute_packages", "--as-of", moment + "+01:00")
