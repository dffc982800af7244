"""The whole journey through a real Celery worker on Redis and PostgreSQL: queue → 11:00
distribution → e-mails recorded → responses → deadline → award → history export."""

import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from brokerage.models import Offer
from brokerage.tasks import close_expired_offers_task, distribute_packages_task
from notifications.models import Notification
from tests.factories import BranchFactory, CoverageFactory
from tests.worker import running_worker, tasks_through_broker, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    queue = f"journey-{uuid.uuid4().hex[:8]}"
    # The worker's own follow-up tasks (e-mails) go to its queue too.
    with (
        running_worker(queue, env={"CELERY_TASK_DEFAULT_QUEUE": queue}) as w,
        tasks_through_broker(queue),
    ):
        yield w


def test_queue_distribute_email_respond_expire_award_export(
    worker, api_as, nina, alice, bob, market, ward
):
    c1 = BranchFactory(ref="C1", name="Blackpool")
    CoverageFactory(branch=c1, ward=ward)
    navigator = api_as(nina)
    created = navigator.post(
        "/api/v1/packages/",
        {
            "reference": "JOURNEY-1",
            "ward": ward.code,
            "postcode": "PR1 4AB",
            "service_level": "homecare_two",
            "hours_per_week": 14,
            "urgency": "standard",
            "start_date": str(timezone.localdate() + timedelta(days=5)),
            "carer_gender": "any",
            "call_pattern": "2 calls a day, two carers",
            "needs_summary": "Hoist transfers",
        },
        format="json",
    )
    package_id = created.json()["id"]
    assert navigator.post(f"/api/v1/packages/{package_id}/queue/").json()["status"] == "queued"

    eleven = timezone.localtime().replace(hour=11, minute=0, second=0, microsecond=0)
    distribute_packages_task.delay(eleven.isoformat())
    wait_for(lambda: Offer.objects.filter(package_id=package_id).count() == 3, timeout=40)
    wait_for(lambda: Notification.objects.filter(state="sent").count() == 3, timeout=40)
    assert set(Notification.objects.values_list("to_email", flat=True)) == {
        market["a1"].notification_email,
        market["b1"].notification_email,
        c1.notification_email,
    }

    offers = {
        o.branch.ref: o
        for o in Offer.objects.filter(package_id=package_id).select_related("branch")
    }
    Offer.objects.filter(package_id=package_id).update(
        deadline=timezone.now() + timedelta(minutes=30)
    )
    start = str(timezone.localdate() + timedelta(days=6))
    assert (
        api_as(alice)
        .post(
            f"/api/v1/offers/{offers['A1'].pk}/respond/",
            {"response": "offer_made", "start_date": start},
            format="json",
        )
        .status_code
        == 200
    )
    assert (
        api_as(bob)
        .post(
            f"/api/v1/offers/{offers['B1'].pk}/respond/",
            {"response": "unable_to_accept", "reason": "no_capacity"},
            format="json",
        )
        .status_code
        == 200
    )

    close_expired_offers_task.delay((timezone.now() + timedelta(hours=1)).isoformat())
    wait_for(
        lambda: Offer.objects.get(pk=offers["C1"].pk).placement_response == "no_response",
        timeout=40,
    )

    award = navigator.post(
        f"/api/v1/packages/{package_id}/award/",
        {"offer": offers["A1"].pk, "feedback": "Only offer made"},
        format="json",
    )
    assert award.status_code == 200
    # the award and not-awarded e-mails go out through the worker too
    wait_for(
        lambda: (
            Notification.objects.filter(kind__in=["awarded", "not_awarded"], state="sent").count()
            == 2
        ),
        timeout=40,
    )

    export = api_as(alice).get("/api/v1/offers/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [(r["package_reference"], r["placement_response"], r["outcome"]) for r in rows] == [
        ("JOURNEY-1", "offer_made", "awarded")
    ]
    council = list(
        csv.DictReader(
            io.StringIO(
                b"".join(navigator.get("/api/v1/offers/export.csv").streaming_content).decode()
            )
        )
    )
    assert sorted((r["branch_ref"], r["placement_response"], r["outcome"]) for r in council) == [
        ("A1", "offer_made", "awarded"),
        ("B1", "unable_to_accept", "not_awarded"),
        ("C1", "no_response", "not_awarded"),
    ]
