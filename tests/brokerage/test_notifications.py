"""P7: every e-mail recorded with its state, retried with back-off, never sent twice."""

from unittest import mock

import pytest
from django.core import mail

from brokerage.distribution import distribute_packages
from brokerage.notifications import notify_offers
from notifications.models import Notification
from notifications.outbox import notification_send as send_notification

from .conftest import MONDAY_11

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(queued_package, market):
    with mock.patch("notifications.outbox._send_on_commit"):
        distribute_packages(as_of=MONDAY_11)
    return list(Notification.objects.order_by("pk"))


def test_sending_is_idempotent(pending):
    assert send_notification(pending[0].pk) == "sent"
    assert send_notification(pending[0].pk) == "skipped"
    assert len(mail.outbox) == 1


def test_recording_the_same_notification_twice_creates_one_row(pending):
    assert notify_offers([pending[0].offer_id], "offer") == []
    assert Notification.objects.count() == 2


def test_failed_send_is_recorded_and_retried_with_back_off(pending):
    from notifications.tasks import send_notifications

    smtp_down = mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("SMTP down"))
    no_retry = mock.patch.object(send_notifications, "retry", side_effect=RuntimeError("retry"))
    with smtp_down, no_retry as retry, pytest.raises(RuntimeError):
        send_notifications.run([n.pk for n in pending])
    failed = Notification.objects.get(pk=pending[0].pk)
    assert failed.state == "failed" and failed.attempts == 1 and "SMTP down" in failed.last_error
    assert retry.call_args.kwargs["countdown"] == 60
    assert retry.call_args.kwargs["args"] == [[n.pk for n in pending]]
    # the next try sends it
    assert send_notification(pending[0].pk) == "sent"
    assert Notification.objects.get(pk=pending[0].pk).attempts == 2


def test_branch_without_address_is_recorded_not_lost(queued_package, market):
    market["a1"].notification_email = ""
    market["a1"].save()
    with mock.patch("notifications.outbox._send_on_commit"):
        distribute_packages(as_of=MONDAY_11)
    note = Notification.objects.get(branch=market["a1"])
    assert send_notification(note.pk) == "gave_up"
    assert "no e-mail address" in Notification.objects.get(pk=note.pk).last_error


def test_stuck_notifications_are_sent_again(pending):
    from django.utils import timezone

    from notifications.outbox import notifications_resend

    Notification.objects.update(created_at=timezone.now() - timezone.timedelta(hours=1))
    assert notifications_resend(as_of=timezone.now()) == 2


def test_notification_scope_follows_branches(pending, alice, olivia, bob):
    assert set(Notification.objects.visible_to(alice).values_list("branch__ref", flat=True)) == {
        "A1"
    }
    assert set(Notification.objects.visible_to(bob).values_list("branch__ref", flat=True)) == {"B1"}
    assert Notification.objects.visible_to(olivia).count() == 1
