"""P3-P5: who gets offers, deadlines, idempotency, uncovered wards, e-mails."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from brokerage.distribution import distribute_packages
from brokerage.models import Offer, PackageStatus
from notifications.models import Notification
from providers.models import PdpsStatus
from tests.factories import PackageFactory

from .conftest import MONDAY_11

pytestmark = pytest.mark.django_db


def test_package_goes_to_each_active_branch_covering_its_ward_and_no_other(queued_package, market):
    """P4: a1 and b1 cover the ward; a2 (same provider as a1) does not."""
    result = distribute_packages(as_of=MONDAY_11)
    assert result.offers == 2
    assert set(queued_package.offers.values_list("branch__ref", flat=True)) == {"A1", "B1"}
    queued_package.refresh_from_db()
    assert queued_package.status == PackageStatus.OFFERED


@pytest.mark.parametrize("status", [PdpsStatus.SUSPENDED, PdpsStatus.LEFT])
def test_suspended_or_departed_providers_get_nothing(
    queued_package, market, make_provider_branch, ward, status
):
    """P4: not to suspended or off-framework providers."""
    outsider = make_provider_branch(ward, pdps_status=status)
    distribute_packages(as_of=MONDAY_11)
    assert not Offer.objects.filter(branch=outsider).exists()


def test_inactive_branch_gets_nothing(queued_package, market):
    market["b1"].is_active = False
    market["b1"].save()
    distribute_packages(as_of=MONDAY_11)
    assert set(queued_package.offers.values_list("branch__ref", flat=True)) == {"A1"}


def test_ended_coverage_gets_nothing(queued_package, market, ward):
    from django.utils import timezone

    market["b1"].coverage.filter(ward=ward).update(ended_at=timezone.now(), removed_in=2)
    distribute_packages(as_of=MONDAY_11)
    assert set(queued_package.offers.values_list("branch__ref", flat=True)) == {"A1"}


def test_only_queued_packages_go_out(market, ward):
    PackageFactory(ward=ward, status="draft")
    assert distribute_packages(as_of=MONDAY_11).offers == 0


def test_deadlines_are_three_days_standard_and_24_hours_urgent(market, ward):
    """P6."""
    standard = PackageFactory(ward=ward, status="queued", urgency="standard")
    urgent = PackageFactory(ward=ward, status="queued", urgency="urgent")
    distribute_packages(as_of=MONDAY_11)
    assert {o.deadline for o in standard.offers.all()} == {MONDAY_11 + timedelta(days=3)}
    assert {o.deadline for o in urgent.offers.all()} == {MONDAY_11 + timedelta(hours=24)}
    assert all(o.urgent for o in urgent.offers.all())


def test_deadline_hours_are_a_setting(market, ward):
    from core.models import PortalSettings

    cfg = PortalSettings.load()
    cfg.standard_deadline_hours = 48
    cfg.save()
    package = PackageFactory(ward=ward, status="queued")
    distribute_packages(as_of=MONDAY_11)
    assert package.offers.first().deadline == MONDAY_11 + timedelta(hours=48)


def test_running_twice_creates_no_duplicate_offer_or_email(
    queued_package, market, django_capture_on_commit_callbacks
):
    """P5."""
    with django_capture_on_commit_callbacks(execute=True):
        distribute_packages(as_of=MONDAY_11)
    with django_capture_on_commit_callbacks(execute=True):
        second = distribute_packages(as_of=MONDAY_11 + timedelta(minutes=5))
    assert second.offers == 0
    assert Offer.objects.count() == 2
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 2


def test_each_offered_branch_is_emailed_at_its_address(
    queued_package, market, django_capture_on_commit_callbacks
):
    """P7: one e-mail per offered branch, recorded as sent."""
    with django_capture_on_commit_callbacks(execute=True):
        distribute_packages(as_of=MONDAY_11)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [market["a1"].notification_email, market["b1"].notification_email]
    )
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}
    body = mail.outbox[0].body
    assert "PKG-1" in body and "PR1" in body
    assert "PR1 4AB" not in body and "Edna" not in body  # A3: no personal details before award


def test_package_for_uncovered_ward_is_flagged_and_stays_queued(market, other_ward, branch_a2):
    from providers.models import Branch

    Branch.objects.filter(pk=branch_a2.pk).update(is_active=False)
    package = PackageFactory(ward=other_ward, status="queued")
    result = distribute_packages(as_of=MONDAY_11)
    package.refresh_from_db()
    assert package.status == PackageStatus.QUEUED
    assert package.uncovered_at == MONDAY_11
    assert result.uncovered == [package.reference]


def test_command_takes_as_of_in_london_time(queued_package, market):
    call_command("distribute_packages", "--as-of", "2026-03-02T11:00")
    assert {o.sent_at for o in queued_package.offers.all()} == {MONDAY_11}


def test_command_across_clock_change_keeps_local_time(market, ward):
    """Summer time: 11:00 in London on 6 April 2026 is 10:00 UTC."""
    package = PackageFactory(ward=ward, status="queued")
    call_command("distribute_packages", "--as-of", "2026-04-06T11:00")
    sent = package.offers.first().sent_at
    assert (sent.utcoffset() is None or True) and sent.astimezone(
        __import__("zoneinfo").ZoneInfo("UTC")
    ).hour == 10


def test_command_refuses_a_bad_as_of():
    with pytest.raises(CommandError, match="not an ISO 8601"):
        call_command("distribute_packages", "--as-of", "tomorrow")


def test_distribution_is_audited(queued_package, market):
    from core.models import AuditEvent

    distribute_packages(as_of=MONDAY_11)
    assert AuditEvent.objects.filter(
        action="package.offered", object_id=str(queued_package.pk)
    ).exists()


def test_each_recorded_offer_email_is_what_offer_email_renders(market, ward, branch_a1, branch_b1):
    """Issue 13, goal 3: the fan-out renders each package's e-mail once and the database puts in
    each branch's name and offer link; every e-mail it records is exactly `offer_email`'s for its
    offer (P7: subject, body, address, provider and branch), whatever the branch's name holds."""
    from brokerage.notifications import offer_email
    from notifications.models import NotificationKind

    branch_a1.name = "O'Brien & Sons 100% \\care\\ — “Preston” %s {branch}"
    branch_a1.save()
    branch_b1.notification_email = ""
    branch_b1.save()
    standard = PackageFactory(ward=ward, status="queued", urgency="standard", reference="PKG-S")
    urgent = PackageFactory(ward=ward, status="queued", urgency="urgent", reference="PKG-U")
    distribute_packages(as_of=MONDAY_11)
    offers = Offer.objects.filter(package__in=[standard, urgent])
    assert offers.count() == 4
    for offer in offers:
        recorded = Notification.objects.about("brokerage", "offer", offer.pk).get()
        expected = offer_email(offer, NotificationKind.OFFER)
        assert recorded.kind == NotificationKind.OFFER
        assert recorded.subject == expected.subject
        assert recorded.body == expected.body
        assert recorded.to_email == ", ".join(a for a in expected.to if a)
        assert (recorded.provider_id, recorded.branch_id) == (
            expected.provider_id,
            expected.branch_id,
        )
        assert recorded.state == "pending"
    named = Notification.objects.get(branch=branch_a1, offer__package=urgent)
    assert named.body.startswith(f"Hello {branch_a1.name},")
    assert "\x1f" not in named.body


@pytest.mark.postgres
def test_offers_and_their_emails_are_written_in_one_statement(market, ward, make_provider_branch):
    """Issue 13, goal 3: on PostgreSQL a batch's offers and their e-mails are one INSERT of the
    offers whose RETURNING feeds the outbox's INSERT; no statement reads the offers back to
    render them (P4, P7)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(6):
        make_provider_branch(ward)
    for i in range(12):
        PackageFactory(ward=ward, status="queued", reference=f"PKG-{i:02d}")
    with CaptureQueriesContext(connection) as queries:
        result = distribute_packages(as_of=MONDAY_11)
    assert result.offers == 12 * 8
    assert Notification.objects.count() == 12 * 8
    writes = [q["sql"] for q in queries if "INSERT INTO notifications_notification" in q["sql"]]
    assert len(writes) == 1
    assert "INSERT INTO brokerage_offer" in writes[0] and "RETURNING" in writes[0]
    assert not [q for q in queries if 'FROM "brokerage_offer" INNER JOIN' in q["sql"]]


@pytest.mark.postgres
def test_an_offer_whose_provider_is_not_its_branchs_is_refused(queued_package, market):
    """A1, issue 13 goal 3: an offer's provider scopes who may see it; on PostgreSQL one foreign
    key, (branch, provider) to the branch's (id, provider), holds it to its branch's provider."""
    from django.db import IntegrityError, connection, transaction

    with pytest.raises(IntegrityError, match="offer_branch_provider_fk"), transaction.atomic():
        Offer.objects.create(
            package=queued_package,
            branch=market["a1"],
            provider=market["b1"].provider,
            sent_at=MONDAY_11,
            deadline=MONDAY_11 + timedelta(days=3),
        )
        connection.check_constraints()  # deferred, like Django's: checked now, not at commit
