"""Benchmark: the L1 shortlist in a big market and a 500-package L4 reallocation batch sent.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal python bench/allocation.py
    python bench/allocation.py --offers 1000000 --branches 3000 --batch 500

Builds the market of bench/kpi.py in a throw-away database (PostgreSQL: generate_series), then:
- stores the rolling 90-day rates (the daily K3 job L1 reads) and times a shortlist for a package
  with 50 offers made (goal: under 100 ms; rates read from the stored count, never recounted);
- makes `--batch` awarded packages held by one provider in one postcode district, covered by ten
  branches, puts them in a batch and times sending it (goal: under 2 s).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._setup import django_setup, throwaway_database, timed  # noqa: E402

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 7, 1, 12, tzinfo=LONDON)
SHORTLIST_OFFERS = 50
GOALS = {"shortlist": 0.100, "batch_send": 2.0}


def shortlist_package():
    """A package offered to 50 branches of 50 providers, every one answering Offer Made."""
    from brokerage.models import Offer, Package
    from providers.models import Branch
    from wards.models import Ward

    ward = Ward.objects.first()
    package = Package.objects.create(
        reference="BENCH-SHORTLIST",
        ward=ward,
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
    Offer.objects.bulk_create(
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
    return package


def time_shortlist(results: dict) -> None:
    from unittest import mock

    from django.utils import timezone

    from allocation.matrix import shortlist
    from allocation.rates import refresh_rolling_rates

    package = shortlist_package()
    with timed("refresh", results):
        refresh_rolling_rates(as_of=NOW - timedelta(hours=6))
    with mock.patch.object(timezone, "now", return_value=NOW):
        shortlist(package, now=NOW)  # warm, as a live database would be
        runs = []
        for _ in range(5):
            one: dict = {}
            with timed("one", one):
                ranked = shortlist(package, now=NOW)
            runs.append(one["one"])
    results["shortlist"] = sorted(runs)[len(runs) // 2]
    results["shortlist_rows"] = len(ranked)


def time_batch(results: dict, size: int) -> None:
    from django.db import connection

    from brokerage.models import Offer, Package
    from brokerage.services import batch_send, batches_create
    from providers.models import Branch, Provider
    from wards.models import Coverage, Ward

    ward = Ward.objects.create(code="E05099001", name="Batch ward", district="Batch")
    providers = Provider.objects.bulk_create(
        Provider(ref=f"BATCH{i}", name=f"Batch provider {i}") for i in range(11)
    )
    branches = Branch.objects.bulk_create(
        Branch(provider=p, ref=f"BB{i}", name=f"Batch branch {i}") for i, p in enumerate(providers)
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
    Offer.objects.bulk_create(
        Offer(
            package=p,
            branch=leaving,
            provider=leaving.provider,
            sent_at=sent,
            deadline=sent + timedelta(days=3),
            placement_response="offer_made",
            outcome="awarded",
            offered_start_date=date(2026, 7, 10),
        )
        for p in packages
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE brokerage_offer; ANALYZE brokerage_package")
    (batch,) = batches_create(
        actor=None, package_ids=[p.pk for p in packages], reason="Bench: provider leaves"
    )
    with timed("batch_send", results):
        results["batch_offers"] = batch_send(actor=None, batch=batch, now=NOW)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=5_000_000)
    parser.add_argument("--branches", type=int, default=10_000)
    parser.add_argument("--providers", type=int, default=3_000)
    parser.add_argument("--batch", type=int, default=500)
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
        time_shortlist(results)
        time_batch(results, args.batch)
    print(
        f"market: {args.offers:,} offers to {args.branches:,} branches of {args.providers:,} "
        f"providers, built in {results['build']:.0f}s; rolling rates stored in "
        f"{results['refresh']:.2f}s (the daily K3 job)"
    )
    print(
        f"shortlist of {results['shortlist_rows']} offers made; batch of {args.batch} packages sent as {results['batch_offers']:,} offers"
    )
    for name, unit, scale in (("shortlist", "ms", 1000), ("batch_send", "s", 1)):
        figure, limit = results[name] * scale, GOALS[name] * scale
        print(
            f"goal {name}: {figure:.1f} {unit} vs limit {limit:g} {unit} = "
            f"{figure / limit:.2f}x (target <= 2)"
        )


if __name__ == "__main__":
    main()
