"""Benchmark (issue 13, goal 4): a KPI return's CSV read through the return service, beside
`csv.reader` + COPY of the same file into a visits-shaped table, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_i13 python bench/returns.py [--quick]

Prints both rates, the peak Python memory of the return (tracemalloc: flat means a few MiB
whatever the rows) and the goal line: the return at least half the rate of csv.reader + COPY.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._setup import django_setup, goal, load, throwaway_database  # noqa: E402

LONDON = ZoneInfo("Europe/London")
FULL, QUICK = 500_000, 200_000


def copy_rate(path: Path) -> float:
    """Rows a second for csv.reader + COPY (in blocks of 10,000 rows) into an unlogged table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TABLE IF EXISTS bench_visits; CREATE UNLOGGED TABLE bench_visits (visit_ref text, "
            "service_user_ref text, planned_start text, planned_minutes text, actual_start text, "
            "actual_end text)"
        )
        raw = cursor.connection.cursor()
        start = time.perf_counter()
        rows = 0
        with path.open(newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            block = io.StringIO()
            writer = csv.writer(block)
            for row in reader:
                writer.writerow(row)
                rows += 1
                if rows % 10_000 == 0:
                    block.seek(0)
                    raw.copy_expert("COPY bench_visits FROM STDIN WITH (FORMAT csv)", block)
                    block = io.StringIO()
                    writer = csv.writer(block)
            block.seek(0)
            raw.copy_expert("COPY bench_visits FROM STDIN WITH (FORMAT csv)", block)
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_visits")
    return rows / elapsed


def return_rate(path: Path, trace: bool = False) -> tuple[float, float]:
    """Rows a second through `kpi_return_submit` and the peak Python memory (MiB, when traced)."""
    from kpi.models import KpiReturn
    from kpi.quarters import Quarter
    from kpi.services import kpi_return_submit
    from providers.models import Provider

    KpiReturn.objects.all().delete()
    provider = Provider.objects.get_or_create(ref="PBENCH", defaults={"name": "Bench"})[0]
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    with path.open("rb") as handle:
        kpi_return = kpi_return_submit(
            actor=None,
            provider=provider,
            quarter=Quarter.parse("2025-26-Q4"),
            file=handle,
            file_name="visits.csv",
            now=datetime(2026, 4, 10, 12, tzinfo=LONDON),
        )
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
    if trace:
        tracemalloc.stop()
    return kpi_return.visits / elapsed, peak


def run(rows: int) -> list[str]:
    from bench.kpi import write_visits

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "visits.csv"
        write_visits(path, rows)
        size = path.stat().st_size / 2**20
        # Best of two each, alternating, so a busy moment of the machine hurts both alike.
        limit = max(copy_rate(path), copy_rate(path))
        rate = max(return_rate(path)[0], return_rate(path)[0])
        _, peak = return_rate(path, trace=True)
        small = Path(folder) / "small.csv"
        write_visits(small, rows // 10)
        _, small_peak = return_rate(small, trace=True)
        print(
            f"return: {rows:,}-row CSV ({size:.0f} MiB): {rate:,.0f} rows/s through the return "
            f"service; csv.reader + COPY {limit:,.0f} rows/s; peak Python memory {peak:.1f} MiB; {load()}"
        )
        return [
            goal("returns", rate, "rows/s", limit, at_least=0.5),
            goal(
                "returns-memory",
                max(peak, 0.5),
                "MiB",
                max(small_peak, 0.5),
                at_most=2,
                limit_unit=f"MiB for {rows // 10:,} rows (peaks under 0.5 MiB count as 0.5)",
            ),
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} rows, not {FULL:,}")
    parser.add_argument("--rows", type=int)
    args = parser.parse_args()
    django_setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/returns.py needs PostgreSQL (COPY): set DATABASE_URL")
    with throwaway_database():
        run(args.rows or (QUICK if args.quick else FULL))


if __name__ == "__main__":
    main()
