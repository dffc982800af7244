"""Benchmark (issue 10): the L1 shortlist in a big market and a 500-package L4 reallocation batch sent.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_<you> python bench/allocation.py
    python bench/allocation.py --offers 200000 --branches 2000 --providers 600   # a quick run
    python bench/allocation.py --profile   # and print cProfile's top functions for both

Builds the market of bench/kpi.py (5,000,000 offers to 10,000 branches of 3,000 providers by
default) in a throw-away database with `INSERT ... SELECT FROM generate_series`, then rebuilds the
kept response counts (`brokerage.counts.rebuild`, what `rebuild_kpi_summary --all` runs) and
vacuums the two big tables (as autovacuum would after millions of inserts). Every
other offer the benchmark writes goes through `bulk_create` and `counts.record_created`, or the
services, so the kept counts always equal a recount (checked before the figures are printed).

- The shortlist: stores the rolling 90-day rates (the daily K3 job L1 reads), then times the
  shortlist of a package with 50 offers made, the median of five after one warm run (a live
  database is warm). Its queries are counted and its rates must be the stored ones (never a
  recount). Goal: under 100 ms; the limit measured in the same run is a bare read of the same
  50 offers with their providers and branches (one SELECT, no scoring).
- The batch: `--batch` awarded packages held by one provider in one postcode district, covered by
  ten other branches, put in a batch through `batches_create`; times `batch_send` (a new round per
  package, 5,000 offers, ten e-mails of 500 packages each). The process is warmed first (URL
  resolver, e-mail template) as a running portal's is. Goal: under 2 s; the limit measured in the
  same run is the bare `INSERT ... SELECT` of the same offers (`insert_offers`, rolled back).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._setup import django_setup, goal, load, throwaway_database, timed  # noqa: E402

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 7, 1, 12, tzinfo=LONDON)
SHORTLIST_OFFERS = 50
BATCH_BRANCHES = 10
GOALS_MS = {"shortlist": 100.0, "batch_send": 2000.0}


def profiled(fn, enabled: bool, label: str):
    """Run `fn`, printing cProfile's top 25 functions by cumulative time when `enabled`."""
    if not enabled:
        return fn()
    profile = cProfile.Profile()
    result = profile.runcall(fn)
    print(f"--- profile: {label}", flush=True)
    pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
    return result


def shortlist_package():
    """A package offered to 50 branches of 50 providers, every one answering Offer Made (written
    with bulk_create, then counted: `counts.record_created`)."""
    from django.db import transaction

    from brokerage import counts
    from brokerage.models import Offer, Package
    from providers.models import Branch
    from wards.models import Ward

    with transaction.atomic():
        package = Package.objects.create(
            reference="BENCH-SHORTLIST",
            ward=Ward.objects.first(),
            postcode="PR1 4AB",
            service_level="homecare_single",
            hours_per_week=12,
            call_pattern="3 calls a day",
            start_date=date(2026, 7, 10),
            needs_summary="Personal care",
            status="offered",
        )
        branches = list(
            Branch.objects.order_by("provider_id").distinct("provider_id")[:SHORTLIST_OFFERS]
        )
        sent = NOW - timedelta(hours=5)
        offers = Offer.objects.bulk_create(
            Offer(
                package=package,
                branch=b,
                provider_id=b.provider_id,
                sent_at=sent,
                deadline=sent + timedelta(days=3),
                placement_response="offer_made",
                responded_at=sent + timedelta(minutes=i),
                offered_start_date=date(2026, 7, 10) + timedelta(days=i % 30),
            )
            for i, b in enumerate(branches)
        )
        counts.record_created(offers)
    return package


def time_shortlist(results: dict, profile: bool) -> None:
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from allocation.matrix import shortlist, shortlist_offers
    from allocation.rates import current_rates, refresh_rolling_rates

    package = shortlist_package()
    with timed("refresh", results):
        stored = refresh_rolling_rates(as_of=NOW - timedelta(hours=6))
    with mock.patch.object(timezone, "now", return_value=NOW):
        assert current_rates(NOW).as_of == stored.as_of, "the shortlist must read the stored rates"
        shortlist(package, now=NOW)  # warm, as a live database would be
        runs, bare = [], []
        for _ in range(5):
            start = time.perf_counter()
            ranked = shortlist(package, now=NOW)
            runs.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            list(shortlist_offers(package))  # the limit: the same offers, no scoring
            bare.append((time.perf_counter() - start) * 1000)
        with CaptureQueriesContext(connection) as queries:
            profiled(lambda: shortlist(package, now=NOW), profile, "shortlist")
    results["shortlist"] = statistics.median(runs)
    results["shortlist_bare"] = statistics.median(bare)
    results["shortlist_rows"] = len(ranked)
    results["shortlist_queries"] = len(queries.captured_queries)
    results["shortlist_sql"] = [(q["time"], q["sql"][:120]) for q in queries.captured_queries]


def batch_market(size: int):
    """`size` packages awarded (round 1) to the branch of a provider leaving, in ward `Batch ward`
    (district PR9) covered by it and ten branches of ten other providers; offers counted."""
    from django.db import connection, transaction

    from brokerage import counts, holdings
    from brokerage.models import Offer, Package
    from providers.models import Branch, Provider
    from wards.models import Coverage, Ward

    with transaction.atomic():
        ward = Ward.objects.create(code="E05099001", name="Batch ward", district="Batch")
        providers = Provider.objects.bulk_create(
            Provider(ref=f"BATCH{i}", name=f"Batch provider {i}") for i in range(BATCH_BRANCHES + 1)
        )
        branches = Branch.objects.bulk_create(
            Branch(provider=p, ref=f"BB{i}", name=f"Batch branch {i}")
            for i, p in enumerate(providers)
        )
        Coverage.objects.bulk_create(
            Coverage(branch=b, ward=ward, started_at=NOW - timedelta(days=400), added_in=1)
            for b in branches
        )
        leaving = branches[0]
        packages = Package.objects.bulk_create(
            Package(
                reference=f"MOVE-{i:05d}",
                ward=ward,
                postcode=f"PR9 {i % 10}AA",
                service_level="homecare_single",
                hours_per_week=10,
                call_pattern="2 calls a day",
                start_date=date(2026, 7, 10),
                needs_summary="Personal care",
                status="awarded",
            )
            for i in range(size)
        )
        sent = NOW - timedelta(days=40)
        offers = Offer.objects.bulk_create(
            Offer(
                package=p,
                branch=leaving,
                provider=leaving.provider,
                sent_at=sent,
                deadline=sent + timedelta(days=3),
                placement_response="offer_made",
                responded_at=sent + timedelta(hours=2),
                outcome="awarded",
                offered_start_date=date(2026, 7, 10),
            )
            for p in packages
        )
        counts.record_created(offers)
        holdings.rebuild()  # awarded with bulk_create: the hours held (L1, issue 10)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE brokerage_offer; ANALYZE brokerage_package")
    return packages


def warm_process() -> None:
    """What a running portal process has done before: its URLs resolved, its templates loaded."""
    from django.template.loader import get_template
    from django.urls import reverse

    reverse("brokerage:offer", args=[1])
    get_template("brokerage/email/batch_offer.txt")


def time_batch(results: dict, size: int, profile: bool) -> None:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from brokerage.distribution import insert_offers
    from brokerage.models import Package, PackageStatus
    from brokerage.services import batch_send, batches_create

    packages = batch_market(size)
    ids = [p.pk for p in packages]
    (batch,) = batches_create(actor=None, package_ids=ids, reason="Bench: provider leaves")
    warm_process()

    class RolledBack(Exception):
        pass

    try:  # the limit: the same packages' next round inserted bare, then rolled back
        with transaction.atomic():
            Package.objects.filter(pk__in=ids).update(status=PackageStatus.OFFERED, round=2)
            start = time.perf_counter()
            insert_offers(
                ids,
                NOW,
                status=PackageStatus.OFFERED,
                exclude_provider_id=batch.from_provider_id,
            )
            results["batch_bare"] = (time.perf_counter() - start) * 1000
            raise RolledBack
    except RolledBack:
        pass
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        results["batch_offers"] = profiled(
            lambda: batch_send(actor=None, batch=batch, now=NOW), profile, "batch_send"
        )
        results["batch_send"] = (time.perf_counter() - start) * 1000
    results["batch_queries"] = len(queries.captured_queries)
    results["batch_sql"] = [(q["time"], q["sql"][:120]) for q in queries.captured_queries]


def counts_agree() -> bool:
    """The kept response counts (issue 13) and hours held (L1, issue 10) equal a recount."""
    from brokerage import counts, holdings

    return counts.stored() == counts.recount() and holdings.stored() == holdings.recount()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=5_000_000)
    parser.add_argument("--branches", type=int, default=10_000)
    parser.add_argument("--providers", type=int, default=3_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--sql", action="store_true", help="print each query and its time")
    args = parser.parse_args()
    django_setup()
    from django.db import connection

    from bench.kpi import build_market

    if connection.vendor != "postgresql":
        sys.exit("bench/allocation.py needs PostgreSQL (generate_series): set DATABASE_URL")
    results: dict = {}
    with throwaway_database():
        with timed("build", results):
            build_market(args.providers, args.branches, args.offers)
            with connection.cursor() as cursor:
                # What autovacuum does after millions of inserts: the visibility map lets the
                # shortlist's market share read its indexes alone (index-only scans).
                cursor.execute("VACUUM ANALYZE brokerage_offer")
                cursor.execute("VACUUM ANALYZE brokerage_package")
        time_shortlist(results, args.profile)
        time_batch(results, args.batch, args.profile)
        agree = counts_agree()
    print(
        f"market: {args.offers:,} offers to {args.branches:,} branches of {args.providers:,} "
        f"providers, built and counted in {results['build']:.0f} s; rolling rates stored in "
        f"{results['refresh']:.2f} s (the daily K3 job); kept counts and hours equal a recount: {agree}"
    )
    print(
        f"shortlist of {results['shortlist_rows']} offers made in "
        f"{results['shortlist_queries']} queries; batch of {args.batch} packages sent as "
        f"{results['batch_offers']:,} offers to {BATCH_BRANCHES} branches in "
        f"{results['batch_queries']} queries"
    )
    if args.sql:
        for name in ("shortlist_sql", "batch_sql"):
            for seconds, sql in results[name]:
                print(f"  {name[:-4]}: {float(seconds) * 1000:7.1f} ms  {sql}")
    print(load())
    # The goals are absolute (100 ms, 2 s): target <= 1. The floors measured in the same
    # run say how far each is from the least the database must do; they are context, not goals.
    print(
        f"same run: shortlist {results['shortlist'] / results['shortlist_bare']:.1f}x a bare read "
        f"of its offers ({results['shortlist_bare']:.1f} ms); batch send "
        f"{results['batch_send'] / results['batch_bare']:.1f}x the bare INSERT ... SELECT of its "
        f"offers ({results['batch_bare']:.0f} ms)"
    )
    goal("shortlist", results["shortlist"], "ms", GOALS_MS["shortlist"], at_most=1)
    goal("batch_send", results["batch_send"], "ms", GOALS_MS["batch_send"], at_most=1)
    if not agree:
        sys.exit("the kept response counts or hours held differ from a recount")


if __name__ == "__main__":
    main()
