"""Issue 14.5: faults tell the truth. With the message broker down a send-now still offers the
package and records its e-mails (the outbox keeps them); the page and the API say so, and the
e-mails go when the broker is back. `/healthz/` reports the database and the broker apart."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError as DatabaseDown
from django.urls import reverse
from kombu.exceptions import OperationalError as BrokerDown

from brokerage.models import Package
from notifications.models import Notification
from notifications.outbox import notifications_resend
from tests.factories import PackageFactory

# The exception kombu raises when Redis refuses the connection (as the attack saw it).
REFUSED = BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
BROKER_DOWN = mock.patch("celery.canvas.Signature.delay", side_effect=REFUSED)


def as_user(client, user):
    client.force_login(user)


# transaction=True: on-commit hand-offs run at the real commit, inside the request, as in production.
@pytest.mark.django_db(transaction=True)
def test_send_now_page_with_the_broker_down_says_offered_and_emails_queued(
    client, nina, market, ward
):
    package = PackageFactory(reference="PKG-FAULT", ward=ward)
    as_user(client, nina)
    with BROKER_DOWN as delay:
        response = client.post(
            reverse("brokerage:package-send-now", args=[package.pk]), follow=True
        )
    body = response.content.decode()
    assert response.status_code == 200, body[:500]
    assert "Sorry, there is a problem" not in body
    assert "Package PKG-FAULT sent to 2 branches." in body
    assert "2 e-mails to the branches are queued" in body
    assert "sent automatically when it is back" in body
    assert delay.call_count == 1  # one chunk tried; nothing retried in the request
    package.refresh_from_db()
    assert package.status == "offered"
    rows = Notification.objects.filter(kind="offer")
    assert rows.count() == 2
    assert set(rows.values_list("state", "handed_at")) == {("pending", None)}


@pytest.mark.django_db(transaction=True)
def test_send_now_api_with_the_broker_down_answers_200_json_saying_so(api_as, nina, market, ward):
    package = PackageFactory(reference="PKG-API", ward=ward)
    with BROKER_DOWN:
        response = api_as(nina).post(f"/api/v1/packages/{package.pk}/send-now/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert (data["status"], data["offers_made"], data["emails_waiting"]) == ("offered", 2, 2)
    assert "2 e-mails to the branches are queued" in data["detail"]


@pytest.mark.django_db(transaction=True)
def test_send_now_api_with_the_broker_up_says_nothing_waits(api_as, nina, market, ward):
    package = PackageFactory(reference="PKG-UP", ward=ward)
    data = api_as(nina).post(f"/api/v1/packages/{package.pk}/send-now/").json()
    assert (data["offers_made"], data["emails_waiting"]) == (2, 0)
    assert data["detail"] == "Package PKG-UP sent to 2 branches."
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}
    assert Notification.objects.filter(handed_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_emails_kept_while_the_broker_was_down_go_a_minute_later(api_as, nina, market, ward):
    from django.core import mail
    from django.utils import timezone

    package = PackageFactory(reference="PKG-LATER", ward=ward)
    with BROKER_DOWN:
        api_as(nina).post(f"/api/v1/packages/{package.pk}/send-now/")
    assert notifications_resend(as_of=timezone.now()) == 0  # just recorded: its hand-off may run
    assert notifications_resend(as_of=timezone.now() + timedelta(seconds=61)) == 2
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}
    assert sorted(m.subject for m in mail.outbox) == sorted(
        Notification.objects.values_list("subject", flat=True)
    )
    assert Package.objects.get(pk=package.pk).status == "offered"


@pytest.mark.django_db(transaction=True)
def test_redis_stopped_during_send_now_then_started_again(
    own_redis, broker_at, api_as, client, nina, market, ward
):
    """The attack's fault, for real: a Redis of the test's own stops; the health check says the
    broker (not the database) is down; send-now answers 200 JSON with the e-mails waiting; Redis
    comes back and the resend job hands them to it."""
    import redis
    from django.utils import timezone

    broker_at(own_redis.url)
    assert client.get("/healthz/").json() == {"status": "ok", "database": "ok", "broker": "ok"}
    own_redis.stop()
    down = client.get("/healthz/")
    # The portal works without the broker (e-mails wait), so it stays in service: 200, degraded.
    assert down.status_code == 200
    assert down.json() == {"status": "degraded", "database": "ok", "broker": "unreachable"}

    package = PackageFactory(reference="PKG-REDIS", ward=ward)
    response = api_as(nina).post(f"/api/v1/packages/{package.pk}/send-now/")
    assert response.status_code == 200, response.content[:300]
    assert (response.json()["status"], response.json()["emails_waiting"]) == ("offered", 2)
    assert set(Notification.objects.values_list("state", "handed_at")) == {("pending", None)}

    own_redis.start()
    assert client.get("/healthz/").json()["broker"] == "ok"
    assert notifications_resend(as_of=timezone.now() + timedelta(seconds=61)) == 2
    assert Notification.objects.filter(handed_at__isnull=True).count() == 0
    queued = redis.Redis.from_url(own_redis.url).llen("celery")
    assert queued == 1  # one task carrying both e-mails, waiting for a worker


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_down(client):
    with mock.patch("core.health.connection.cursor", side_effect=DatabaseDown("gone")):
        down = client.get("/healthz/")
    assert down.status_code == 503
    assert down.json() == {"status": "down", "database": "unreachable", "broker": "ok"}
