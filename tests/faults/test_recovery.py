"""Issue 14.5: after a worker dies the portal finishes what it left. A run it was distributing is
marked interrupted (not "unfinished, 0 packages" for ever) and says how far it got; a backlog of
e-mails it left goes to a worker within minutes, not after 21."""

from __future__ import annotations

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from brokerage import distribution
from brokerage.distribution import distribute_packages, distribution_runs_interrupted
from brokerage.models import DistributionRun, Package
from core import runlock
from core.models import AuditEvent
from notifications.models import Notification
from notifications.outbox import notifications_resend
from tests.brokerage.conftest import MONDAY_11
from tests.factories import PackageFactory, WardFactory
from tests.worker import wait_for

pytestmark = pytest.mark.django_db


def _backlog(count: int, *, created: timedelta, handed: timedelta | None) -> list[int]:
    """`count` pending offer-kind e-mails recorded `created` ago, handed to a worker `handed` ago
    (None: never handed, the broker was down)."""
    now = timezone.now()
    ct = ContentType.objects.get_for_model(WardFactory._meta.model)
    rows = [
        Notification(
            kind="offer",
            content_type=ct,
            object_id=i,
            to_email=f"branch{i}@example.org",
            subject=f"Package {i}",
            body="...",
            created_at=now - created,
            handed_at=None if handed is None else now - handed,
        )
        for i in range(1, count + 1)
    ]
    return [n.pk for n in Notification.objects.bulk_create(rows, batch_size=500)]


def test_a_backlog_of_2140_emails_left_by_a_dead_worker_is_handed_over_in_one_run(monkeypatch):
    """The attack's figure: 2,140 e-mails whose tasks died with the worker 20 minutes ago. The
    resend job takes all of them in its first run (it took 2,000 per run, every ten minutes)."""
    ids = _backlog(2140, created=timedelta(minutes=21), handed=timedelta(minutes=20))
    handed: list[int] = []
    monkeypatch.setattr("notifications.outbox._send_on_commit", handed.extend)
    assert notifications_resend(as_of=timezone.now()) == 2140
    assert sorted(handed) == sorted(ids)


def test_emails_the_broker_never_took_are_handed_over_after_a_minute_not_ten(monkeypatch):
    _backlog(30, created=timedelta(minutes=2), handed=None)
    handed: list[int] = []
    monkeypatch.setattr("notifications.outbox._send_on_commit", handed.extend)
    assert notifications_resend(as_of=timezone.now()) == 30


def test_emails_handed_a_moment_ago_are_left_to_their_worker(monkeypatch):
    _backlog(30, created=timedelta(minutes=2), handed=timedelta(seconds=30))
    monkeypatch.setattr("notifications.outbox._send_on_commit", lambda ids: None)
    assert notifications_resend(as_of=timezone.now()) == 0


def test_the_resend_job_runs_every_minute():
    entry = next(e for e in settings.PORTAL_BEAT_SCHEDULES if e["name"] == "Resend stuck e-mails")
    assert (entry["minute"], entry["hour"]) == ("*", "*")


def test_the_migration_moves_an_untouched_ten_minute_schedule_to_every_minute():
    """An existing install keeps its schedule row (ensure_schedules never touches one): the
    migration moves it from */10 to every minute unless an administrator changed it."""
    import importlib

    from django.apps import apps as django_apps
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    move = importlib.import_module("notifications.migrations.0004_resend_every_minute")
    PeriodicTask.objects.filter(task=move.TASK).delete()
    old = CrontabSchedule.objects.create(minute="*/10", timezone="Europe/London")
    kept = CrontabSchedule.objects.create(minute="*/7", timezone="Europe/London")
    PeriodicTask.objects.create(name="Resend stuck e-mails", task=move.TASK, crontab=old)
    PeriodicTask.objects.create(name="Resend (an admin's)", task=move.TASK, crontab=kept)
    move.forward(django_apps, None)
    minutes = dict(
        PeriodicTask.objects.filter(task=move.TASK).values_list("name", "crontab__minute")
    )
    assert minutes == {"Resend stuck e-mails": "*", "Resend (an admin's)": "*/7"}


def _packages(count: int, ward) -> list[Package]:
    return [PackageFactory(ward=ward, status="queued", queued_at=MONDAY_11) for _ in range(count)]


def test_a_run_that_fails_part_way_is_interrupted_and_counts_what_it_did(market, ward, monkeypatch):
    """Batches of two: the third batch fails; the run keeps the four packages its two committed
    batches offered (eight offers: two branches cover the ward) and is marked interrupted."""
    _packages(6, ward)
    monkeypatch.setattr(distribution, "BATCH", 2)
    real, calls = distribution._distribute_batch, []

    def third_fails(*args):
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("worker lost")
        return real(*args)

    monkeypatch.setattr(distribution, "_distribute_batch", third_fails)
    with pytest.raises(RuntimeError):
        distribute_packages(as_of=MONDAY_11)
    run = DistributionRun.objects.get()
    assert (run.state, run.packages, run.offers) == ("interrupted", 4, 8)
    assert Package.objects.filter(status="queued").count() == 2
    event = AuditEvent.objects.get(action="distribution_run.interrupted")
    assert event.after == {"state": "interrupted", "packages": 4, "offers": 8}


def _open_run(**fields) -> DistributionRun:
    now = timezone.now()
    return DistributionRun.objects.create(
        as_of=MONDAY_11, started_at=now, heartbeat_at=now, **fields
    )


@pytest.mark.skipif("connection.vendor == 'postgresql'")
def test_on_sqlite_a_run_silent_for_ten_minutes_is_interrupted():
    now = timezone.now()
    dead = _open_run()
    DistributionRun.objects.filter(pk=dead.pk).update(heartbeat_at=now - timedelta(minutes=11))
    live = _open_run()
    DistributionRun.objects.filter(pk=live.pk).update(heartbeat_at=now - timedelta(minutes=1))
    assert distribution_runs_interrupted(now=now) == [dead.pk]
    assert DistributionRun.objects.get(pk=live.pk).state == "running"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_run_is_interrupted_when_its_process_is_gone_however_recent():
    """The run's own session holds its advisory lock: while it lives (another connection here,
    another worker in life) the run is left alone, even an hour silent; the moment its connection
    closes (the worker killed) the next look marks it interrupted."""
    run = _open_run()
    DistributionRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    holding, release = threading.Event(), threading.Event()

    def worker():
        runlock.hold("distribution", run.pk)
        holding.set()
        release.wait(30)
        connection.close()  # as a killed worker's connection closes

    thread = threading.Thread(target=worker)
    thread.start()
    assert holding.wait(10)
    assert distribution_runs_interrupted(now=timezone.now()) == []
    assert DistributionRun.objects.get(pk=run.pk).state == "running"
    release.set()
    thread.join(10)
    # The server ends the closed session's backend, and frees its lock, a moment after the client
    # closes; on a loaded box the first look can come before that (issue 13's full-suite run).
    assert wait_for(lambda: distribution_runs_interrupted(now=timezone.now()), timeout=10) == [
        run.pk
    ]
    assert DistributionRun.objects.get(pk=run.pk).state == "interrupted"


def test_the_catch_up_marks_interrupted_runs_and_sends_what_they_left(market, ward):
    """A run killed after its first batch: the catch-up (every five minutes, and when a worker
    starts) marks it and offers the packages it left queued."""
    from brokerage.schedule import distribution_catch_up
    from core.schedules import ensure_schedules

    ensure_schedules()
    left = _packages(3, ward)
    dead = _open_run(packages=5, offers=10)
    DistributionRun.objects.filter(pk=dead.pk).update(heartbeat_at=MONDAY_11, started_at=MONDAY_11)
    with mock.patch("core.runlock.held_elsewhere", return_value=False):
        result = distribution_catch_up(now=MONDAY_11 + timedelta(minutes=15))
    assert DistributionRun.objects.get(pk=dead.pk).state == "interrupted"
    assert result.packages == 3
    assert set(
        Package.objects.filter(pk__in=[p.pk for p in left]).values_list("status", flat=True)
    ) == {"offered"}
