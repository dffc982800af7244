"""Benchmark: response rates over millions of offers (K1-K3, K8) and a 500,000-row KPI return (K5).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal python bench/kpi.py
    python bench/kpi.py --offers 1000000 --branches 3000 --visits 100000 --xlsx 50000

Builds the market in a throw-away database: providers and branches with bulk_create, packages and
offers with one INSERT ... SELECT FROM generate_series each (PostgreSQL only). Times the K1
response rates for one quarter, the rolling 90 days, the provider self-view's query and the whole
contract-management dashboard; then streams a visit file through the return service and prints the
time and the peak Python memory (tracemalloc) and the process's peak resident size.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import tempfile
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._setup import django_setup, throwaway_database, timed  # noqa: E402

LONDON = ZoneInfo("Europe/London")
OFFERS_PER_PACKAGE = 20


def build_market(providers: int, branches: int, offers: int) -> None:
    from django.db import connection

    from providers.models import Branch, Provider
    from wards.models import Ward

    Ward.objects.create(code="E05000001", name="Bench ward", district="Bench")
    Provider.objects.bulk_create(
        [Provider(ref=f"P{i:05d}", name=f"Provider {i}") for i in range(providers)], batch_size=5000
    )
    ids = list(Provider.objects.order_by("pk").values_list("pk", flat=True))
    Branch.objects.bulk_create(
        [
            Branch(provider_id=ids[i % providers], ref=f"B{i:05d}", name=f"Branch {i}")
            for i in range(branches)
        ],
        batch_size=5000,
    )
    packages = -(-offers // OFFERS_PER_PACKAGE)
    spread = branches // OFFERS_PER_PACKAGE  # 20 distinct branches per package
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO brokerage_package (reference, ward_id, postcode, service_level, hours_per_week,
                call_pattern, carer_gender, urgency, start_date, needs_summary, person_name, address,
                full_details, status, created_at, withdrawn_reason, cancel_reason,
                cancelled_on_doorstep, awarded_at, end_reason)
            SELECT 'BENCH-' || g, (SELECT min(id) FROM wards_ward), 'PR1 4AB',
                   (ARRAY['homecare_single','homecare_two','stcah_single','stcah_two'])[1 + g % 4],
                   5 + g % 20, '2 calls a day', 'any', CASE WHEN g % 10 = 0 THEN 'urgent' ELSE 'standard' END,
                   DATE '2026-05-01', 'Personal care', '', '', '', 'awarded',
                   TIMESTAMPTZ '2026-04-01 00:00+01' + (g % 91) * INTERVAL '1 day', '', '', false,
                   TIMESTAMPTZ '2026-04-03 00:00+01' + (g % 91) * INTERVAL '1 day', ''
            FROM generate_series(1, {packages}) g
            """
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_branch AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, provider_id FROM providers_branch"
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_package AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM brokerage_package"
        )
        cursor.execute(
            "CREATE INDEX ON bench_branch (n); CREATE INDEX ON bench_package (n); ANALYZE bench_branch; ANALYZE bench_package"
        )
        # Offer g goes to package g / 20 and to branch (g % 20) * spread + (g / 20) % spread:
        # 20 different branches per package. Sent through 2026-27-Q1; responses in realistic shares.
        cursor.execute(
            f"""
            INSERT INTO brokerage_offer (package_id, branch_id, provider_id, sent_at, deadline, urgent,
                placement_response, outcome, reason, note, feedback, offered_start_date, closed_at)
            SELECT p.id, b.id, b.provider_id, s.sent, s.sent + INTERVAL '3 days', g % 200 = 0,
                   r.response,
                   CASE WHEN r.response = 'offer_made' AND g % 20 = 0 THEN 'awarded'
                        WHEN r.response IS NULL THEN 'open' ELSE 'not_awarded' END,
                   CASE WHEN r.response = 'unable_to_accept' THEN 'no_capacity' ELSE '' END, '', '',
                   CASE WHEN r.response = 'offer_made' THEN DATE '2026-05-01' END, NULL
            FROM generate_series(0::bigint, {int(offers)} - 1) g
            JOIN bench_package p ON p.n = g / 20
            JOIN bench_branch b ON b.n = (g % 20) * {spread} + (g / 20) % {spread}
            CROSS JOIN LATERAL (SELECT TIMESTAMPTZ '2026-04-01 00:00+01'
                                 + ((g * 7919) % (91 * 86400)) * INTERVAL '1 second' AS sent) s
            CROSS JOIN LATERAL (SELECT CASE
                WHEN (g * 31 + b.provider_id * 17) % 100 < 55 + (b.provider_id % 7) * 5 THEN 'offer_made'
                WHEN (g * 31 + b.provider_id * 17) % 100 < 85 THEN 'unable_to_accept'
                WHEN (g * 31 + b.provider_id * 17) % 100 < 95 THEN 'no_response'
                WHEN (g * 31 + b.provider_id * 17) % 100 < 98 THEN 'closed_before_response'
                ELSE NULL END AS response) r
            """
        )
        cursor.execute("ANALYZE brokerage_offer; ANALYZE brokerage_package")
    from brokerage import holdings
    from brokerage.counts import rebuild, rebuild_gaps, rebuild_wards

    rebuild(everything=True)  # offers written set-based: recount the kept response counts
    rebuild_gaps(everything=True)  # and K12's market gaps
    rebuild_wards(everything=True)  # and ward health's day counts (W5)
    holdings.rebuild()  # and the hours each provider holds (L1, issue 10)


def time_rates(results: dict) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from brokerage.models import Offer
    from kpi.figures import dashboard
    from kpi.quarters import Quarter
    from kpi.selectors import RateWindow, market_summary, provider_rates

    quarter = RateWindow.for_quarter(Quarter.parse("2026-27-Q1"))
    now = datetime(2026, 7, 1, 12, tzinfo=LONDON)
    provider_rates(quarter)  # warm the cache, as a live database would be
    with timed("quarter", results):
        rows = provider_rates(quarter)
        market = market_summary(rows)
    results["rows"], results["market_rate"] = len(rows), market.rate
    with timed("rolling", results):
        provider_rates(RateWindow.rolling(now))
    some_provider = rows[len(rows) // 2].provider_id
    with timed("own", results):
        provider_rates(quarter, offers=Offer.objects.filter(provider_id=some_provider))
    with (
        CaptureQueriesContext(connection) as queries,
        timed("dashboard", results),
        mock.patch.object(timezone, "now", return_value=now),
    ):
        dashboard(now)
    results["dashboard_queries"] = len(queries)


def write_visits(path: Path, rows: int) -> None:
    from kpi.returns import COLUMNS as VISIT_COLUMNS

    rng = random.Random(5)
    start = datetime(2026, 1, 1, 7, 0)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(VISIT_COLUMNS)
        for i in range(rows):
            planned = start + timedelta(minutes=(i * 13) % (89 * 24 * 60))
            if planned.hour < 6:  # no visits in the night, nor in the spring-forward gap
                planned += timedelta(hours=6)
            if rng.random() < 0.02:
                writer.writerow([f"V{i}", f"SU{i % 5000}", planned.isoformat(), 30, "", ""])
                continue
            # Actual times worked out in UTC and written with their offset: naive ones in the
            # spring-forward gap would (rightly) be refused as ending before they start.
            actual = (planned.replace(tzinfo=LONDON).astimezone(UTC)) + timedelta(
                minutes=rng.randint(-10, 45)
            )
            end = actual + timedelta(minutes=rng.randint(15, 40))
            writer.writerow(
                [
                    f"V{i}",
                    f"SU{i % 5000}",
                    planned.isoformat(timespec="minutes"),
                    30,
                    actual.astimezone(LONDON).isoformat(timespec="minutes"),
                    end.astimezone(LONDON).isoformat(timespec="minutes"),
                ]
            )


def write_xlsx(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    from kpi.returns import COLUMNS as VISIT_COLUMNS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(VISIT_COLUMNS)
    start = datetime(2026, 1, 1, 7, 0)
    for i in range(rows):
        planned = start + timedelta(minutes=(i * 13) % (89 * 24 * 60))
        if planned.hour < 6:  # no visits in the night, nor in the spring-forward gap (naive cells)
            planned += timedelta(hours=6)
        actual = planned + timedelta(minutes=(i % 50) - 5)
        sheet.append(
            [f"V{i}", f"SU{i % 5000}", planned, 30, actual, actual + timedelta(minutes=25)]
        )
    workbook.save(path)


def ingest(path: Path, name: str, results: dict, key: str, trace: bool) -> None:
    from kpi.models import KpiReturn
    from kpi.quarters import Quarter
    from kpi.services import kpi_return_submit
    from providers.models import Provider

    KpiReturn.objects.all().delete()
    provider = Provider.objects.order_by("pk").first()
    if trace:
        tracemalloc.start()
    with path.open("rb") as handle, timed(key, results):
        kpi_return = kpi_return_submit(
            actor=None,
            provider=provider,
            quarter=Quarter.parse("2025-26-Q4"),
            file=handle,
            file_name=name,
            now=datetime(2026, 4, 10, 12, tzinfo=LONDON),
        )
    if trace:
        results[f"{key}_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    results[f"{key}_visits"] = kpi_return.visits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=5_000_000, help="0: returns only")
    parser.add_argument("--branches", type=int, default=10_000)
    parser.add_argument("--providers", type=int, default=3_000)
    parser.add_argument("--visits", type=int, default=500_000)
    parser.add_argument("--xlsx", type=int, default=50_000, help="rows of the XLSX file (0: none)")
    args = parser.parse_args()
    django_setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/kpi.py needs PostgreSQL (generate_series): set DATABASE_URL")
    results: dict = {}
    with throwaway_database():
        if args.offers:
            with timed("build", results):
                build_market(args.providers, args.branches, args.offers)
            time_rates(results)
        else:
            from providers.models import Provider

            Provider.objects.create(ref="P1", name="Provider 1")
        if args.offers:
            print(
                f"market: {args.offers:,} offers to {args.branches:,} branches of {args.providers:,} providers, "
                f"built in {results['build']:.0f}s\n"
                f"  response rates, one quarter ({results['rows']:,} providers, market {results['market_rate']:.1%}): "
                f"{results['quarter']:.2f}s\n"
                f"  rolling 90 days: {results['rolling']:.2f}s; one provider's own figures: {results['own'] * 1000:.0f} ms\n"
                f"  contract-management dashboard (6 quarters, every figure): {results['dashboard']:.2f}s "
                f"in {results['dashboard_queries']} queries"
            )
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "visits.csv"
            write_visits(path, args.visits)
            size = path.stat().st_size / 2**20
            ingest(path, "visits.csv", results, "csv", trace=False)
            ingest(path, "visits.csv", results, "csv_traced", trace=True)
            print(
                f"return: {results['csv_visits']:,}-row CSV ({size:.0f} MiB) in {results['csv']:.1f}s "
                f"= {results['csv_visits'] / results['csv']:,.0f} rows/s; peak Python memory "
                f"{results['csv_traced_peak_mib']:.1f} MiB (tracemalloc)"
            )
            if args.xlsx:
                xpath = Path(folder) / "visits.xlsx"
                write_xlsx(xpath, args.xlsx)
                ingest(xpath, "visits.xlsx", results, "xlsx", trace=False)
                ingest(xpath, "visits.xlsx", results, "xlsx_traced", trace=True)
                print(
                    f"return: {results['xlsx_visits']:,}-row XLSX ({xpath.stat().st_size / 2**20:.0f} MiB) in "
                    f"{results['xlsx']:.1f}s = {results['xlsx_visits'] / results['xlsx']:,.0f} rows/s; "
                    f"peak Python memory {results['xlsx_traced_peak_mib']:.1f} MiB (tracemalloc)"
                )
    print(
        f"process peak resident size: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
