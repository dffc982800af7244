"""Issue 14.5, the attack's fault: a real Celery worker (PostgreSQL, Redis) is killed in the middle
of a 2,000-package distribution and started again. Within five minutes of its return every
package is offered, every offer and every e-mail exists exactly once, every e-mail is sent once,
and the killed run is marked interrupted with what it did."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from brokerage import distribution
from brokerage.models import DistributionRun, Offer, Package
from brokerage.schedule import last_distribution_slot
from brokerage.tasks import distribute_packages_task
from core import runlock
from core.schedules import ensure_schedules
from notifications.models import Notification
from notifications.tasks import resend_notifications
from providers.models import Branch
from tests.factories import BranchFactory, CoverageFactory, PackageFactory, WardFactory
from tests.worker import running_worker, tasks_through_broker, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
# The run's first batch, and two more after it (issue 13 sized the batch by measurement).
FIRST_BATCH = distribution.BATCH
PACKAGES = 3 * FIRST_BATCH
RECOVERY_LIMIT = 5 * 60


def _market(queued_at) -> tuple[Branch, int]:
    """Ten wards, each covered by two branches. The first FIRST_BATCH packages (the run's first
    batch) go to wards 0-4; the others to wards 5-9, one of which `blocker` covers. Returns the blocker
    and the number of offers the distribution must make (two per package)."""
    wards = [WardFactory() for _ in range(10)]
    branches = [BranchFactory() for _ in range(20)]
    for i, ward in enumerate(wards):
        CoverageFactory(branch=branches[2 * i], ward=ward)
        CoverageFactory(branch=branches[2 * i + 1], ward=ward)
    rows = [
        PackageFactory.build(
            ward=wards[i % 5] if i < FIRST_BATCH else wards[5 + i % 5],
            status="queued",
            queued_at=queued_at,
        )
        for i in range(PACKAGES)
    ]
    Package.objects.bulk_create(rows, batch_size=500)
    return branches[10], 2 * PACKAGES


def _hold_row_lock(branch: Branch, holding: threading.Event, release: threading.Event) -> None:
    """Lock the blocker branch as another session would: the run's second batch, inserting
    offers that refer to it, waits here, so the kill lands mid-distribution every time."""
    try:
        with transaction.atomic():
            Branch.objects.select_for_update().get(pk=branch.pk)
            holding.set()
            release.wait(120)
    finally:
        connection.close()


def _lock_held(run_id: int) -> bool:
    namespace, key = runlock._keys("distribution", run_id)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s"
            " AND objid = %s AND granted",
            [namespace, key],
        )
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_mid_distribution_leaves_nothing_lost_or_doubled_once_back():
    ensure_schedules()
    now = timezone.now()
    slot = last_distribution_slot(now)
    assert slot is not None
    blocker, expected_offers = _market(queued_at=slot - timedelta(hours=1))
    queue = f"kill-{uuid.uuid4().hex[:8]}"
    env = {"CELERY_TASK_DEFAULT_QUEUE": queue}  # the worker's own follow-up tasks come back to it

    holding, release = threading.Event(), threading.Event()
    locker = threading.Thread(target=_hold_row_lock, args=(blocker, holding, release))
    locker.start()
    try:
        assert holding.wait(10)
        with running_worker(queue, env=env) as first, tasks_through_broker(queue):
            # The 11:00 run, late; the worker's own start-up catch-up may take the packages first.
            distribute_packages_task.delay(slot.isoformat())
            run = wait_for(
                lambda: DistributionRun.objects.filter(packages__gte=FIRST_BATCH).first(),
                timeout=60,
            )
            time.sleep(1)  # the second batch is claimed and waits on the blocker's row
            assert DistributionRun.objects.get(pk=run.pk).packages == FIRST_BATCH
            first.process.kill()  # SIGKILL: no warm shutdown, no acknowledgement
            first.process.wait(10)
    finally:
        release.set()
        locker.join(30)

    # The killed worker's session ends once its blocked statement returns: the run is dead now.
    wait_for(lambda: not _lock_held(run.pk), timeout=60)
    killed = DistributionRun.objects.get(pk=run.pk)
    # The blocked batch waits either in a statement (rolled back once the session sees its client
    # gone) or in its COMMIT (Django's foreign keys are checked there, deferred; the COMMIT then
    # completes for the dead client): so the killed run holds one batch or two, never part of one.
    assert killed.state == "running"  # before anyone looks
    assert killed.packages in (FIRST_BATCH, 2 * FIRST_BATCH)
    done = killed.packages
    assert Package.objects.filter(status="queued").count() == PACKAGES - done

    back = time.monotonic()
    beat = {"last": back}

    def recovered() -> bool:
        # Beat's every-minute resend, which this test's worker runs without: e-mails of a batch the
        # dead client's COMMIT completed were never handed to the broker (issue 14.5).
        if time.monotonic() - beat["last"] >= 30:
            beat["last"] = time.monotonic()
            resend_notifications.delay()
        return (
            not Package.objects.filter(status="queued").exists()
            and Notification.objects.filter(state="sent").count() == expected_offers
        )

    with running_worker(queue, env=env), tasks_through_broker(queue):
        wait_for(
            recovered,
            timeout=RECOVERY_LIMIT,
            interval=1.0,
        )
    recovered_in = time.monotonic() - back
    print(f"recovered {expected_offers} offers and e-mails in {recovered_in:.1f}s")
    assert recovered_in < RECOVERY_LIMIT

    assert Offer.objects.count() == expected_offers
    assert Offer.objects.values("package_id", "branch_id").distinct().count() == expected_offers
    assert Notification.objects.count() == expected_offers
    assert set(Notification.objects.values_list("state", "attempts")) == {("sent", 1)}
    killed.refresh_from_db()
    assert (killed.state, killed.packages, killed.offers) == ("interrupted", done, 2 * done)
    # The rest went out with the run that came next (the 11:00 task the killed worker never
    # acknowledged, or the catch-up the returning worker starts with), each package once.
    others = DistributionRun.objects.exclude(pk=killed.pk)
    assert {run.state for run in others} == {"finished"}
    assert sum(run.packages for run in others) == PACKAGES - done
    assert sum(run.offers for run in others) == expected_offers - 2 * done
