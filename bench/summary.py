"""Benchmark (issue 13, goal 1): K1, K3 and K8 read from the kept response counts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_i13 python bench/summary.py [--quick]

Builds the market (`bench/market.py`), then times, each the best of five: one quarter's response
rates for every provider (K11's kept medians beside them, and the market's) beside a bare read of
that quarter's counts (the limit), the rolling 90 days as the self-view reads the market (every
provider's rate, the market's median hours from the kept answer times; a provider's own rolling
median, from its offers, timed apart, and every provider's with its median as the council's rates
API and CSV read them, printed beside), K12's market gaps of a quarter by ward, and the whole
contract-management dashboard (six quarters, every figure, K12's gaps) with its query count; and
the rebuild. Goal lines: the quarter within 2x of the bare read and under 100 ms, the
rolling 90 days under 150 ms, the dashboard under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._setup import django_setup, goal, load, throwaway_database  # noqa: E402


def best(fn, times: int = 5) -> float:
    """The fastest of `times` runs, in milliseconds (after one run to warm the caches)."""
    fn()
    out = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return min(out)


def run() -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from brokerage.models import GapCount, ResponseCount
    from core.models import PortalSettings
    from kpi.figures import dashboard
    from kpi.market_gaps import market_gaps
    from kpi.quarters import Quarter
    from kpi.selectors import RateWindow, market_summary, provider_rates

    PortalSettings.load()
    now = timezone.now()
    quarter = Quarter.containing(now).previous()
    window = RateWindow.for_quarter(quarter)

    def bare():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT * FROM {ResponseCount._meta.db_table} WHERE grain = %s AND start = %s",
                [ResponseCount.QUARTER, quarter.start_date],
            )
            cursor.fetchall()

    rows = provider_rates(window)
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        cProfile.runctx(
            "market_summary(provider_rates(window))", globals(), locals(), "/tmp/bench.prof"
        )
        pstats.Stats("/tmp/bench.prof").sort_stats("cumtime").print_stats(30)
    quarter_ms = best(lambda: market_summary(provider_rates(window)))
    bare_ms = best(bare)
    assert rows.median_hours is not None and any(r.median_hours is not None for r in rows)
    assert market_gaps(quarter, "ward"), "K12's kept gaps are empty: the build must rebuild them"
    rolling = RateWindow.rolling(now)
    rolling_ms = best(lambda: market_summary(provider_rates(rolling, row_medians=False)))
    # A provider's own rolling 90 days with its median (my KPIs, the risk detail): its offers.
    some_provider = rows[len(rows) // 2].provider_id
    own_ms = best(lambda: provider_rates(rolling, provider_id=some_provider))
    # The council's rates API and CSV for the rolling window: every provider's row with its own
    # median, worked out from the window's answered offers (K11 cannot be added up from counts).
    every_ms = best(lambda: market_summary(provider_rates(rolling)), times=3)
    current = Quarter.containing(now)

    def whole_dashboard():
        """Every figure of the dashboard page: six quarters (K1-K11) and K12's market gaps."""
        dashboard(now)
        market_gaps(current, "district")

    gaps_ms = best(lambda: market_gaps(quarter, "ward"))
    dashboard_ms = best(whole_dashboard, times=3)
    with CaptureQueriesContext(connection) as queries:
        whole_dashboard()
    gap_rows = GapCount.objects.filter(start=quarter.start_date).count()
    print(
        f"K1 {quarter} ({len(rows):,} providers, K11 kept): {quarter_ms:.1f} ms (bare read of "
        f"the counts {bare_ms:.1f} ms); rolling 90 days {rolling_ms:.1f} ms (one provider's own "
        f"with its median {own_ms:.1f} ms; every provider's with its median, the council's API and CSV, {every_ms:.0f} ms); K12 {quarter} by ward ({gap_rows:,} packages offered) {gaps_ms:.1f} ms; dashboard "
        f"(K12 included) {dashboard_ms:.0f} ms in {len(queries)} queries; {load()}"
    )
    return [
        goal("kpi-quarter", quarter_ms, "ms", bare_ms, at_most=2, limit_unit="ms (bare read)"),
        goal("kpi-quarter-abs", quarter_ms, "ms", 100, at_most=1),
        goal("kpi-rolling-90", rolling_ms, "ms", 150, at_most=1),
        goal("kpi-dashboard", dashboard_ms, "ms", 300, at_most=1),
    ]


def main() -> None:
    from bench import market

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2M offers, not 25M")
    parser.add_argument("--packages", type=int)
    parser.add_argument("--offers", type=int)
    args = parser.parse_args()
    django_setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/summary.py needs PostgreSQL (generate_series): set DATABASE_URL")
    with throwaway_database():
        sizes = dict(market.QUICK if args.quick else market.FULL)
        sizes.update({k: v for k in sizes if (v := getattr(args, k))})
        market.build(**sizes)
        run()


if __name__ == "__main__":
    main()
