"""The outbox under real concurrency (STYLE 13): two workers resending at once send each once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from brokerage.distribution import distribute_packages
from notifications.models import Notification
from notifications.outbox import notifications_resend
from tests.brokerage.conftest import MONDAY_11
from tests.brokerage.test_concurrency import run_at_once
from tests.factories import BranchFactory, CoverageFactory, PackageFactory, WardFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_resending_at_once_send_each_email_once(monkeypatch):
    """60 offer e-mails were recorded while the broker was down; two resend jobs run at once and
    both hand every one to a worker (eager here): each still goes out exactly once."""
    wards = [WardFactory() for _ in range(4)]
    branches = [BranchFactory() for _ in range(15)]
    for i, ward in enumerate(wards):
        for branch in branches[i::4]:
            CoverageFactory(branch=branch, ward=ward)
    for i in range(20):
        PackageFactory(ward=wards[i % 4], status="queued")
    monkeypatch.setattr("notifications.outbox._send_on_commit", lambda ids: None)
    distribute_packages(as_of=MONDAY_11)
    expected = Notification.objects.count()
    assert expected >= 60
    monkeypatch.undo()

    later = timezone.now() + timedelta(hours=1)
    results = run_at_once(2, lambda i: notifications_resend(as_of=later))
    assert not [r for r in results if isinstance(r, Exception)], results
    # Each job hands over what is still pending when it looks (one may look after the other sent).
    assert expected <= sum(results) <= 2 * expected
    assert len(mail.outbox) == expected
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == expected
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
