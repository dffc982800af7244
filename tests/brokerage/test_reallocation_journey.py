"""L4 end to end through a real Celery worker on Redis and PostgreSQL: a provider leaves the PDPS
→ its awarded packages are put in batches (one per postcode district) → sent → the batch e-mails
go out through the worker → branches answer package by package → each package is awarded on its
own, and the earlier round stays in the record."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from allocation.models import RollingRates
from allocation.tasks import refresh_rolling_rates_task
from brokerage import services
from brokerage.models import Offer, Package
from notifications.models import Notification
from providers.models import PdpsStatus
from tests.factories import BranchFactory, CoverageFactory, PackageFactory, ProviderFactory
from tests.worker import running_worker, tasks_through_broker, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    queue = f"realloc-{uuid.uuid4().hex[:8]}"
    with (
        running_worker(queue, env={"CELERY_TASK_DEFAULT_QUEUE": queue}) as w,
        tasks_through_broker(queue),
    ):
        yield w


def test_provider_leaves_batches_send_answers_award(
    worker, api_as, nina, alice, bob, market, ward, provider_b
):
    c1 = BranchFactory(provider=ProviderFactory(ref="PC", name="Cedar Care"), ref="C1")
    CoverageFactory(branch=c1, ward=ward)
    start = timezone.localdate() + timedelta(days=5)
    held = []
    for reference, postcode in (("R-1", "PR1 4AB"), ("R-2", "PR1 7XY"), ("R-3", "PR2 3CD")):
        package = PackageFactory(reference=reference, ward=ward, postcode=postcode)
        services.package_send_now(actor=nina, package=package)
        won = package.offers.get(branch=market["b1"])
        services.offer_respond(actor=bob, offer=won, response="offer_made", start_date=start)
        services.package_award(actor=nina, package=package, offer=won)
        held.append(package.pk)
    wait_for(lambda: Notification.objects.filter(state="sent").count() >= 9 + 3, timeout=60)

    # Provider B leaves the PDPS; the navigator moves everything it holds.
    provider_b.pdps_status = PdpsStatus.LEFT
    provider_b.save()
    navigator = api_as(nina)
    made = navigator.post(
        "/api/v1/batches/", {"reason": "Birch leaves the PDPS", "packages": held}, format="json"
    ).json()["batches"]
    assert [(b["postcode_district"], len(b["packages"])) for b in made] == [("PR1", 2), ("PR2", 1)]
    before = Notification.objects.count()
    for batch in made:
        assert navigator.post(f"/api/v1/batches/{batch['id']}/send/").status_code == 200
    assert navigator.post(f"/api/v1/batches/{made[0]['id']}/send/").status_code == 409
    # One e-mail per branch per batch (a1 and c1, never b1), sent by the worker.
    wait_for(
        lambda: (
            Notification.objects.filter(content_type__model="batchbranch", state="sent").count()
            == 4
        ),
        timeout=60,
    )
    assert Notification.objects.count() == before + 4
    pr1 = made[0]["id"]
    offers = {
        (o.package.reference, o.branch.ref): o
        for o in Offer.objects.filter(batch_id=pr1).select_related("package", "branch")
    }
    assert set(offers) == {("R-1", "A1"), ("R-1", "C1"), ("R-2", "A1"), ("R-2", "C1")}

    # The rolling rates the shortlist reads, counted by the worker's daily job.
    refresh_rolling_rates_task.delay()
    wait_for(lambda: RollingRates.objects.exists(), timeout=60)

    # Branches answer package by package; each package is awarded on its own.
    later = start + timedelta(days=1)
    for key, client, answer in (
        (("R-1", "A1"), api_as(alice), {"response": "offer_made", "start_date": str(start)}),
        (("R-1", "C1"), None, None),
        (("R-2", "A1"), api_as(alice), {"response": "unable_to_accept", "reason": "no_capacity"}),
    ):
        if client:
            got = client.post(f"/api/v1/offers/{offers[key].pk}/respond/", answer, format="json")
            assert got.status_code == 200, got.json()
    services.offer_respond(
        actor=None, offer=offers[("R-2", "C1")], response="offer_made", start_date=start
    )
    services.offer_respond(
        actor=None, offer=offers[("R-1", "C1")], response="offer_made", start_date=later
    )
    r1 = Package.objects.get(reference="R-1")
    shortlist = navigator.get(f"/api/v1/packages/{r1.pk}/shortlist/").json()
    assert {row["branch"]["ref"] for row in shortlist} == {"A1", "C1"}
    top = shortlist[0]["offer"]
    assert (
        navigator.post(
            f"/api/v1/packages/{r1.pk}/award/", {"offer": top}, format="json"
        ).status_code
        == 200
    )
    r2 = Package.objects.get(reference="R-2")
    assert (
        navigator.post(
            f"/api/v1/packages/{r2.pk}/award/",
            {"offer": offers[("R-2", "C1")].pk},
            format="json",
        ).status_code
        == 200
    )
    wait_for(
        lambda: (
            Notification.objects.filter(
                kind__in=["awarded", "not_awarded"], state="sent", created_at__gte=r1.created_at
            ).count()
            >= 3 + 2 + 1
        ),
        timeout=60,
    )
    r1.refresh_from_db()
    r2.refresh_from_db()
    assert (r1.status, r1.round, r2.status, r2.round) == ("awarded", 2, "awarded", 2)
    assert r2.awarded_offer.branch == c1
    # The earlier round stays: b1's round-1 offers keep their award.
    assert Offer.objects.filter(round=1, branch=market["b1"], outcome="awarded").count() == 3
    batch = navigator.get(f"/api/v1/batches/{pr1}/").json()
    assert batch["status"] == "sent"
