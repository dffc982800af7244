"""The one outbox (issue 9.1; P7, K7): every kind recorded once, claimed, retried with back-off,
resent by the one job, and seen by the provider or branch it went to (A1), on pages and the API."""

from datetime import date, datetime, timedelta
from io import StringIO
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from brokerage.notifications import notify_offers
from kpi.models import KpiTrigger
from kpi.services import kpi_triggers_escalate
from notifications.models import Notification
from notifications.outbox import notification_send, notifications_resend
from notifications.tasks import send_notifications
from tests.factories import PackageFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
SMTP_DOWN = "django.core.mail.EmailMessage.send"


@pytest.fixture
def trigger_mail(provider_a, olivia):
    """Provider A joined in February 2025 and made no return for 2025-26-Q1: trigger 1, whose
    e-mail (to its office and its organisation users) is recorded but not yet handed to a worker."""
    provider_a.joined_on = date(2025, 2, 10)
    provider_a.contact_email = "office@amber.example"
    provider_a.save()
    olivia.email = "olivia@amber.example"
    olivia.save()
    with mock.patch("notifications.outbox._send_on_commit"):
        kpi_triggers_escalate(as_of=datetime(2025, 7, 16, 6, tzinfo=LONDON))
    return Notification.objects.get(kind="trigger")


@pytest.fixture
def offer_mail(branch_a1, branch_b1):
    from brokerage.models import Offer

    package = PackageFactory(reference="PKG-OUT", status="offered")
    now = timezone.now()
    offers = [
        Offer.objects.create(
            package=package,
            branch=branch,
            provider=branch.provider,
            sent_at=now,
            deadline=now + timedelta(days=3),
        )
        for branch in (branch_a1, branch_b1)
    ]
    with mock.patch("notifications.outbox._send_on_commit"):
        notify_offers([o.pk for o in offers], "offer")
    return offers


def test_a_trigger_email_that_fails_is_retried_then_sent_once_and_shown_to_its_provider(
    trigger_mail, client, olivia, django_capture_on_commit_callbacks
):
    """K7 and P7 together: the first try fails and is recorded with its back-off; the resend job
    hands it to a worker again once the retry is overdue; it goes out once, to both addresses."""
    retry = mock.patch.object(send_notifications, "retry", side_effect=RuntimeError("retry"))
    smtp_down = mock.patch(SMTP_DOWN, side_effect=OSError("SMTP down"))
    with smtp_down, retry as retried, pytest.raises(RuntimeError):
        send_notifications.run([trigger_mail.pk])
    failed = Notification.objects.get(pk=trigger_mail.pk)
    assert (failed.state, failed.attempts) == ("failed", 1)
    assert "SMTP down" in failed.last_error
    assert failed.next_attempt_at > failed.claimed_at
    assert retried.call_args.kwargs["countdown"] == 60

    # Its own retry was lost (worker gone): the one resend job sends it.
    later = failed.next_attempt_at + timedelta(minutes=11)
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_resend(as_of=later) == 1
    assert notifications_resend(as_of=later) == 0
    assert notification_send(trigger_mail.pk) == "skipped"
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["office@amber.example", "olivia@amber.example"]
    sent = Notification.objects.get(pk=trigger_mail.pk)
    assert (sent.state, sent.attempts) == ("sent", 2)

    client.force_login(olivia)
    page = client.get(reverse("notifications:provider", args=["PA"]))
    assert page.status_code == 200
    assert "KPI trigger" in page.content.decode()
    assert "2025-26-Q1" in page.content.decode()


def test_a_trigger_records_its_email_once_even_if_recorded_again(trigger_mail):
    from kpi.services import trigger_email
    from notifications.outbox import notifications_enqueue

    trigger = KpiTrigger.objects.get()
    assert notifications_enqueue([trigger_email(trigger)]) == []
    assert Notification.objects.count() == 1


def test_the_resend_command_covers_trigger_emails(trigger_mail, django_capture_on_commit_callbacks):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("resend_notifications", "--as-of", "2099-01-01T06:00", stdout=out)
    assert "1 e-mail(s)" in out.getvalue()
    assert Notification.objects.get().state == "sent"


def test_a_third_trigger_goes_to_the_council_and_no_provider_sees_it(provider_a, carl):
    from kpi.services import trigger_email

    carl.email = "carl@council.example"
    carl.save()
    trigger = KpiTrigger.objects.create(
        provider=provider_a,
        quarter="2025-26-Q3",
        level=3,
        missing=True,
        created_at=timezone.now(),
        as_of=timezone.now(),
    )
    mail_ = trigger_email(trigger)
    assert mail_.provider_id is None and mail_.to == ["carl@council.example"]


def test_provider_page_is_404_for_another_provider(client, trigger_mail, bob, brenda):
    for user in (bob, brenda):
        client.force_login(user)
        assert client.get(reverse("notifications:provider", args=["PA"])).status_code == 404


def test_a_branch_user_sees_its_branch_emails_but_not_the_providers_triggers(
    client, trigger_mail, offer_mail, alice
):
    client.force_login(alice)
    body = client.get(reverse("notifications:provider", args=["PA"])).content.decode()
    assert "PKG-OUT" in body
    assert "KPI trigger" not in body


def test_branch_page_lists_every_kind_sent_to_the_branch(client, offer_mail, alice, branch_a1):
    from notifications.outbox import Outgoing, notifications_enqueue

    notifications_enqueue(
        [
            Outgoing(
                about=offer_mail[0],
                kind="reminder",
                to=["a1@example.org"],
                subject="Reminder: PKG-OUT is waiting for your answer",
                body="...",
                provider_id=branch_a1.provider_id,
                branch_id=branch_a1.pk,
            )
        ]
    )
    client.force_login(alice)
    body = client.get(reverse("brokerage:notifications", args=[branch_a1.pk])).content.decode()
    assert "New package offered" in body and "Reminder: offer not yet answered" in body


def test_api_lists_the_callers_emails_with_filters(api_as, offer_mail, trigger_mail, olivia, bob):
    rows = api_as(olivia).get("/api/v1/notifications/").json()["results"]
    assert sorted(r["kind"] for r in rows) == ["offer", "trigger"]
    offer_row = next(r for r in rows if r["kind"] == "offer")
    assert offer_row["offer"] == offer_mail[0].pk
    assert offer_row["branch"] == {"ref": "A1", "name": "Preston"}
    assert set(offer_row) == {
        "id", "offer", "branch", "kind", "state", "to", "created_at", "sent_at", "attempts"
    }  # fmt: skip
    trigger_row = next(r for r in rows if r["kind"] == "trigger")
    assert trigger_row["offer"] is None and trigger_row["branch"] is None
    only = api_as(olivia).get(f"/api/v1/notifications/?offer={offer_mail[0].pk}").json()
    assert [r["id"] for r in only["results"]] == [offer_row["id"]]
    assert api_as(olivia).get("/api/v1/notifications/?kind=trigger").json()["count"] == 1
    assert api_as(olivia).get("/api/v1/notifications/?state=sent").json()["count"] == 0
    # Provider B sees its own offer e-mail only (A1); asking for A's offer finds nothing.
    theirs = api_as(bob).get("/api/v1/notifications/").json()["results"]
    assert [r["branch"]["ref"] for r in theirs] == ["B1"]
    assert api_as(bob).get(f"/api/v1/notifications/?offer={offer_mail[0].pk}").json()["count"] == 0


def test_council_sees_every_email_in_the_api(api_as, offer_mail, trigger_mail, carl):
    assert api_as(carl).get("/api/v1/notifications/").json()["count"] == 3


def test_offer_api_carries_the_email_state(api_as, offer_mail, alice):
    offer = offer_mail[0]
    assert api_as(alice).get(f"/api/v1/offers/{offer.pk}/").json()["email_state"] == "pending"
    notification_send(Notification.objects.get(offer=offer).pk)
    assert api_as(alice).get(f"/api/v1/offers/{offer.pk}/").json()["email_state"] == "sent"
    Notification.objects.filter(offer=offer).delete()
    assert api_as(alice).get(f"/api/v1/offers/{offer.pk}/").json()["email_state"] is None


def test_an_anonymous_or_inactive_user_sees_no_emails(offer_mail, olivia):
    from django.contrib.auth.models import AnonymousUser

    assert not Notification.objects.visible_to(AnonymousUser()).exists()
    olivia.is_active = False
    assert not Notification.objects.visible_to(olivia).exists()


def _recorded(object_id: int, **whom) -> None:
    """Record an e-mail about `object_id` to `whom` (branch, provider) and check its foreign keys
    now."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    with transaction.atomic():
        Notification.objects.create(
            kind="trigger",
            content_type=ContentType.objects.get_for_model(Notification),
            object_id=object_id,
            to_email="office@example.org",
            subject="s",
            body="b",
            created_at=timezone.now(),
            **whom,
        )
        connection.check_constraints()  # deferred, like Django's: checked now, not at commit


@pytest.mark.postgres
def test_an_email_to_a_branch_must_name_the_branchs_provider(branch_a1, provider_a, provider_b):
    """A1, issue 13 goal 3: an e-mail is scoped by its provider; on PostgreSQL one foreign key,
    (branch, provider) to the branch's (id, provider), holds it to its branch's provider."""
    from django.db import IntegrityError

    _recorded(1, branch=branch_a1, provider=provider_a)
    with pytest.raises(IntegrityError, match="notification_branch_provider_fk"):
        _recorded(2, branch=branch_a1, provider=provider_b)


@pytest.mark.postgres
def test_an_email_to_a_provider_alone_must_name_a_provider_that_exists(provider_a):
    """Issue 13 goal 3: with no branch, `provider_without_branch` carries the provider to its
    foreign key (an e-mail to a branch leaves it empty)."""
    from django.db import IntegrityError

    _recorded(1, provider=provider_a)
    assert Notification.objects.get().provider_without_branch == provider_a.pk
    with pytest.raises(IntegrityError, match="notification_provider_without_branch_fk"):
        _recorded(2, provider_id=provider_a.pk + 1000)
