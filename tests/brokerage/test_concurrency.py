"""P5 and L2 under real concurrency: threads with their own PostgreSQL connections (STYLE 13)."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection

from brokerage import distribution, services
from brokerage.distribution import distribute_packages
from brokerage.models import DistributionRun, Offer, Package, PlacementResponse
from notifications.models import Notification
from tests.factories import BranchFactory, CoverageFactory, PackageFactory, WardFactory

from .conftest import MONDAY_11

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(count, work):
    """Start `count` threads on `work(i)` at the same instant; return results or exceptions."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_workers_distributing_at_once_create_each_offer_and_email_once():
    wards = [WardFactory() for _ in range(20)]
    branches = [BranchFactory() for _ in range(15)]
    for i, ward in enumerate(wards):
        for branch in branches[i % 5 :: 5]:
            CoverageFactory(branch=branch, ward=ward)
    packages = [PackageFactory(ward=wards[i % 20], status="queued") for i in range(600)]
    expected = sum(3 for _ in packages)  # each ward is covered by three branches

    results = run_at_once(2, lambda i: distribute_packages(as_of=MONDAY_11))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.offers for r in results) == expected
    assert Offer.objects.count() == expected
    assert Notification.objects.count() == expected
    assert len(
        {mail.outbox[i].to[0] + mail.outbox[i].subject for i in range(len(mail.outbox))}
    ) == len(mail.outbox)
    assert len(mail.outbox) == expected


def test_P5_one_run_shares_its_batches_between_two_workers_and_offers_each_package_once(
    monkeypatch,
):
    """Issue 13, goal 3: a run on PostgreSQL distributes its batches on WORKERS connections at
    once; each package is offered once to each branch, the uncovered ones are listed in order,
    and the run's row counts every batch."""
    monkeypatch.setattr(distribution, "BATCH", 3)
    ward, nobody_covers = WardFactory(), WardFactory()
    for branch in [BranchFactory(), BranchFactory()]:
        CoverageFactory(branch=branch, ward=ward)
    for _ in range(20):
        PackageFactory(ward=ward, status="queued")
    uncovered = [PackageFactory(ward=nobody_covers, status="queued") for _ in range(4)]
    workers, real = set(), distribution._distribute_batch

    def noting_the_worker(*args):
        workers.add(threading.get_ident())
        return real(*args)

    monkeypatch.setattr(distribution, "_distribute_batch", noting_the_worker)
    result = distribute_packages(as_of=MONDAY_11)
    assert len(workers) == distribution.WORKERS == 2
    assert (result.packages, result.offers) == (20, 40)
    assert result.uncovered == [package.reference for package in uncovered]
    run = DistributionRun.objects.get(pk=result.run_id)
    assert (run.state, run.packages, run.offers, run.uncovered) == ("finished", 20, 40, 4)
    assert Offer.objects.values("package", "branch").distinct().count() == 40
    assert Notification.objects.count() == 40


def test_P5_a_worker_that_fails_stops_the_other_and_the_run_counts_what_was_committed(
    monkeypatch,
):
    """Issue 14.5 with two workers: one batch fails; the other worker stops after its batch, the
    run is marked interrupted with the batches that committed, and the rest stay queued."""
    monkeypatch.setattr(distribution, "BATCH", 2)
    ward = WardFactory()
    CoverageFactory(branch=BranchFactory(), ward=ward)
    for _ in range(12):
        PackageFactory(ward=ward, status="queued")
    calls, lock, real = [], threading.Lock(), distribution._distribute_batch

    def third_fails(*args):
        with lock:
            calls.append(args)
            if len(calls) == 3:
                raise RuntimeError("worker lost")
        return real(*args)

    monkeypatch.setattr(distribution, "_distribute_batch", third_fails)
    with pytest.raises(RuntimeError):
        distribute_packages(as_of=MONDAY_11)
    run = DistributionRun.objects.get()
    offered = Package.objects.filter(status="offered").count()
    assert run.state == "interrupted"
    assert (run.packages, run.offers) == (offered, offered)
    assert 2 <= offered <= 6  # the batches before the failure and the other worker's last one
    assert Package.objects.filter(status="queued").count() == 12 - offered


def test_twenty_navigators_pressing_award_at_once_award_exactly_one(django_user_model):
    ward = WardFactory()
    branches = [BranchFactory() for _ in range(20)]
    for branch in branches:
        CoverageFactory(branch=branch, ward=ward)
    package = PackageFactory(ward=ward, status="queued")
    distribute_packages(as_of=MONDAY_11)
    for offer in Offer.objects.all():
        services.offer_respond(
            actor=None,
            offer=offer,
            response=PlacementResponse.OFFER_MADE,
            start_date=MONDAY_11.date() + timedelta(days=3),
            now=MONDAY_11,
        )
    offers = list(Offer.objects.order_by("pk"))

    def award(i):
        return services.package_award(actor=None, package=package, offer=offers[i])

    results = run_at_once(20, award)
    wins = [r for r in results if isinstance(r, Offer)]
    refusals = [r for r in results if isinstance(r, services.BrokerageError)]
    assert len(wins) == 1, results
    assert len(refusals) == 19, results
    assert Offer.objects.filter(outcome="awarded").count() == 1
    assert Offer.objects.filter(outcome="not_awarded").count() == 19


def test_close_expired_on_two_workers_changes_each_offer_once():
    ward = WardFactory()
    for _ in range(5):
        CoverageFactory(branch=BranchFactory(), ward=ward)
    for _ in range(100):
        PackageFactory(ward=ward, status="queued")
    distribute_packages(as_of=MONDAY_11)
    results = run_at_once(
        2, lambda i: services.offers_close_expired(as_of=MONDAY_11 + timedelta(days=4))
    )
    assert sum(results) == 500


def test_L4_two_navigators_sending_the_same_batch_at_once_make_one_round(django_user_model):
    """Two threads send one reallocation batch at the same instant: one sends, one is refused,
    and each package has exactly one new round of offers and each branch one batch e-mail."""
    ward = WardFactory()
    leaving, staying = BranchFactory(), [BranchFactory() for _ in range(4)]
    for branch in [leaving, *staying]:
        CoverageFactory(branch=branch, ward=ward)
    packages = [PackageFactory(ward=ward, status="queued") for _ in range(30)]
    distribute_packages(as_of=MONDAY_11)
    for package in packages:
        won = package.offers.get(branch=leaving)
        services.offer_respond(
            actor=None,
            offer=won,
            response=PlacementResponse.OFFER_MADE,
            start_date=MONDAY_11.date() + timedelta(days=3),
            now=MONDAY_11,
        )
        services.package_award(actor=None, package=package, offer=won, now=MONDAY_11)
    (batch,) = services.batches_create(
        actor=None, package_ids=[p.pk for p in packages], reason="Leaving"
    )
    results = run_at_once(2, lambda i: services.batch_send(actor=None, batch=batch))
    sent = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, services.BrokerageError)]
    assert sent == [30 * 4] and len(refused) == 1, results
    assert Offer.objects.filter(round=2).count() == 30 * 4
    assert not Offer.objects.filter(round=2, branch=leaving).exists()
    assert Notification.objects.filter(content_type__model="batchbranch").count() == 4


def test_L5_widening_to_two_wards_one_branch_covers_offers_it_once():
    ward, near, far = WardFactory(), WardFactory(), WardFactory()
    CoverageFactory(branch=BranchFactory(), ward=ward)
    both = BranchFactory()
    CoverageFactory(branch=both, ward=near)
    CoverageFactory(branch=both, ward=far)
    package = PackageFactory(ward=ward, status="queued")
    distribute_packages(as_of=MONDAY_11)
    assert services.package_widen(actor=None, package=package, wards=[near, far]) == 1
    assert Offer.objects.filter(package=package, branch=both).count() == 1


def test_P3_a_send_now_waits_for_a_run_holding_its_package_rather_than_passing_over_it():
    """A scheduled run passes over a package someone holds (it is caught up later), but a
    navigator's send-now names its package: it waits for the holder, so when it returns the
    package has its offers (a worker's start-up catch-up once made a send-now offer nothing)."""
    ward = WardFactory()
    CoverageFactory(branch=BranchFactory(), ward=ward)
    package = PackageFactory(ward=ward, status="queued")
    held, release = threading.Event(), threading.Event()

    def hold(i):
        from django.db import transaction

        with transaction.atomic():
            Package.objects.select_for_update().get(pk=package.pk)
            held.set()
            release.wait(10)

    holder = threading.Thread(target=run_at_once, args=(1, hold))
    holder.start()
    assert held.wait(10)
    threading.Timer(0.3, release.set).start()
    result = distribute_packages(as_of=MONDAY_11, source="send_now", package_ids=[package.pk])
    holder.join(10)
    assert (result.packages, result.offers) == (1, 1)
    assert Package.objects.get(pk=package.pk).status == "offered"


def test_P3_a_send_now_beaten_by_the_scheduled_run_says_what_that_run_sent(monkeypatch, nina):
    ward = WardFactory()
    for _ in range(3):
        CoverageFactory(branch=BranchFactory(), ward=ward)
    package = PackageFactory(ward=ward, status="queued")
    real = distribute_packages

    def scheduled_run_first(**kwargs):
        real(as_of=MONDAY_11)  # the 11:00 run claims it between the send-now's two steps
        return real(**kwargs)

    monkeypatch.setattr("brokerage.services.packages.distribute_packages", scheduled_run_first)
    result = services.package_send_now(actor=nina, package=package)
    assert (result.packages, result.offers) == (0, 3)
    assert Offer.objects.filter(package=package).count() == 3
