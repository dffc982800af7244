"""P10: one reminder e-mail per unanswered offer, a set number of hours before its deadline (24 for
standard packages, 4 for urgent: settings), through the outbox, and none for an answered or closed
offer. `offered_package` went out at MONDAY_11 to branches a1 and b1 (standard: 72 hours)."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from brokerage.models import Offer
from brokerage.reminders import offers_remind
from brokerage.services import offer_respond, offers_close_expired
from core.models import PortalSettings
from notifications.models import Notification, NotificationKind
from tests.brokerage.conftest import MONDAY_11

DEADLINE = MONDAY_11 + timedelta(hours=72)


def reminders() -> list[Notification]:
    return list(Notification.objects.filter(kind=NotificationKind.REMINDER))


def test_no_reminder_before_the_window_opens(offered_package):
    assert offers_remind(as_of=DEADLINE - timedelta(hours=24, minutes=1)) == 0
    assert reminders() == []


def test_each_unanswered_offer_is_reminded_once_24_hours_before_its_deadline(
    offered_package, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # sent after commit (STYLE 2)
        assert offers_remind(as_of=DEADLINE - timedelta(hours=24)) == 2
    assert offers_remind(as_of=DEADLINE - timedelta(hours=23)) == 0  # the next run: nothing twice
    assert offers_remind(as_of=DEADLINE - timedelta(hours=1)) == 0
    assert len(reminders()) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        o.branch.notification_email for o in offered_package.offers.all()
    )
    message = mail.outbox[0]
    assert message.subject.startswith(f"Reminder: package {offered_package.reference}")
    assert "has not yet answered" in message.body and "PR1" in message.body
    assert {n.state for n in reminders()} == {"sent"}


def test_an_answered_offer_gets_no_reminder(offered_package, offer_a1, offer_b1, alice):
    offer_respond(
        actor=alice,
        offer=offer_a1,
        response="offer_made",
        start_date=date(2026, 3, 9),
        now=MONDAY_11 + timedelta(hours=1),
    )
    assert offers_remind(as_of=DEADLINE - timedelta(hours=2)) == 1
    assert [n.object_id for n in reminders()] == [offer_b1.pk]


def test_a_closed_or_expired_offer_gets_no_reminder(offered_package):
    offers_close_expired(as_of=DEADLINE + timedelta(minutes=1))
    assert offers_remind(as_of=DEADLINE + timedelta(minutes=2)) == 0
    assert reminders() == []


def test_an_urgent_offer_is_reminded_4_hours_before_its_deadline(offered_package):
    Offer.objects.update(urgent=True, deadline=MONDAY_11 + timedelta(hours=24))
    deadline = MONDAY_11 + timedelta(hours=24)
    assert offers_remind(as_of=deadline - timedelta(hours=5)) == 0
    assert offers_remind(as_of=deadline - timedelta(hours=4)) == 2


def test_the_reminder_hours_are_settings(offered_package):
    rules = PortalSettings.load()
    rules.reminder_hours_standard = 12
    rules.save()
    assert offers_remind(as_of=DEADLINE - timedelta(hours=24)) == 0
    assert offers_remind(as_of=DEADLINE - timedelta(hours=12)) == 2


def test_the_command_reminds_as_of_a_moment_and_says_how_many(offered_package):
    out = StringIO()
    moment = (DEADLINE - timedelta(hours=20)).isoformat()
    call_command("send_deadline_reminders", "--as-of", moment, stdout=out)
    assert "2 reminder(s) recorded" in out.getvalue()
    assert len(reminders()) == 2


def test_the_branch_sees_its_reminder_among_its_notifications(client, offered_package, alice):
    offers_remind(as_of=DEADLINE - timedelta(hours=24))
    client.force_login(alice)
    page = client.get(f"/branches/{alice.branch_id}/notifications/").content.decode()
    assert f"Reminder: package {offered_package.reference}" in page


def test_the_reminder_job_is_on_the_schedule(db):
    from django.conf import settings

    tasks = {s["task"] for s in settings.PORTAL_BEAT_SCHEDULES}
    assert "brokerage.tasks.send_deadline_reminders_task" in tasks


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_reminding_at_once_send_one_reminder_per_offer(market, ward):
    """P10 under real concurrency: two reminder jobs at the same moment; each offer's reminder is
    recorded and sent once."""
    from brokerage.distribution import distribute_packages
    from tests.brokerage.test_concurrency import run_at_once
    from tests.factories import PackageFactory

    for _ in range(10):
        PackageFactory(ward=ward, status="queued")
    distribute_packages(as_of=MONDAY_11)
    mail.outbox.clear()
    offers = Offer.objects.count()
    results = run_at_once(2, lambda i: offers_remind(as_of=DEADLINE - timedelta(hours=3)))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == offers
    assert len(reminders()) == offers
    assert len(mail.outbox) == offers
