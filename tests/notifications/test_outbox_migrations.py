"""Issue 9.1: the existing e-mail records move into the outbox when a database that has them is
migrated: offer e-mails keep their ids, states and times and get their texts; each KPI trigger's
e-mail becomes a row, sent or to be sent or given up. Run on rows written with the historical
models, as an upgraded council's database would hold them."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.migrating import latest, migrate, old_package

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("brokerage", "0003_notification_claimed_at"), ("kpi", "0001_initial")]


def _old_world(apps):
    """A provider with a branch, one offer with a sent and a failed e-mail, and three triggers:
    one e-mailed, one raised an hour ago and not yet sent, one a month ago never sent."""
    now = timezone.now()
    Offer = apps.get_model("brokerage", "Offer")
    Old = apps.get_model("brokerage", "Notification")
    Trigger = apps.get_model("kpi", "KpiTrigger")
    provider, branch, package = old_package(apps, date(2026, 12, 1))
    offer = Offer.objects.create(
        package=package,
        branch=branch,
        provider=provider,
        sent_at=now,
        deadline=now + timedelta(days=3),
    )
    sent = Old.objects.create(
        offer=offer,
        branch=branch,
        kind="offer",
        to_email="a1@amber.example.org",
        state="sent",
        attempts=1,
        created_at=now,
        sent_at=now,
        claimed_at=now,
    )
    failed = Old.objects.create(
        offer=offer,
        branch=branch,
        kind="withdrawn",
        to_email="a1@amber.example.org",
        state="failed",
        attempts=3,
        last_error="SMTP 451",
        created_at=now,
    )
    triggers = {
        name: Trigger.objects.create(
            provider=provider,
            quarter=quarter,
            level=level,
            missing=True,
            created_at=when,
            as_of=when,
            **extra,
        )
        for name, quarter, level, when, extra in [
            (
                "emailed",
                "2025-26-Q1",
                1,
                now - timedelta(days=90),
                {"emailed_at": now - timedelta(days=90), "emailed_to": "office@amber.example.org"},
            ),
            ("recent", "2025-26-Q2", 2, now - timedelta(hours=1), {}),
            ("old", "2025-26-Q3", 3, now - timedelta(days=30), {}),
        ]
    }
    return {"sent": sent.pk, "failed": failed.pk, "offer": offer.pk, "triggers": triggers}


def test_existing_offer_and_trigger_emails_move_into_the_outbox():
    old = _old_world(migrate(BEFORE))
    migrate(latest())

    from notifications.models import Notification

    sent = Notification.objects.get(pk=old["sent"])
    assert (sent.kind, sent.state, sent.attempts, sent.object_id) == (
        "offer",
        "sent",
        1,
        old["offer"],
    )
    assert "PKG-OLD-1" in sent.subject
    assert "postcode district PR1" in sent.body  # the historical model has no property for it
    failed = Notification.objects.get(pk=old["failed"])
    assert (failed.kind, failed.state, failed.last_error) == ("withdrawn", "failed", "SMTP 451")

    by_trigger = {n.object_id: n for n in Notification.objects.filter(kind="trigger")}
    states = {name: by_trigger[t.pk].state for name, t in old["triggers"].items()}
    assert states == {"emailed": "sent", "recent": "pending", "old": "gave_up"}
    assert by_trigger[old["triggers"]["emailed"].pk].to_email == "office@amber.example.org"
    assert by_trigger[old["triggers"]["recent"].pk].to_email == "boss@amber.example.org"
    # A new e-mail after the move gets an id past the copied ones (the sequence was reset).
    newest = Notification.objects.create(
        kind="offer",
        content_type=sent.content_type,
        object_id=old["offer"] + 1000,
        to_email="x@example.org",
        created_at=timezone.now(),
        subject="s",
        body="b",
    )
    assert newest.pk > max(old["sent"], old["failed"])
