"""Every goal of issue 13 in one run, ending with one line per goal.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_i13 REDIS_URL=redis://127.0.0.1:6379/8 \\
        python bench/all.py --quick        # 2M offers, 20k packages: under 10 minutes
    ... python bench/all.py                # 25M offers, 100k packages, 30 s a page

One national market (`bench/market.py`) serves goal 1 (`bench/summary.py`) and goal 2
(`bench/pages.py`); goal 3 builds its own distribution markets (`bench/distribution.py`, the
national day), goal 4 its visit file (`bench/returns.py`). Each figure is compared with a limit
measured in the same run, and the machine's load printed beside it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._setup import django_setup, load, throwaway_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip", action="append", default=[], help="kpi, pages, fan-out, returns")
    args = parser.parse_args()
    django_setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/all.py needs PostgreSQL: set DATABASE_URL")
    from bench import distribution, market, pages, returns, summary

    started = time.perf_counter()
    print(f"issue 13 benchmarks ({'--quick' if args.quick else 'full size'}); {load()}", flush=True)
    lines: list[str] = []
    if not {"kpi", "pages"} <= set(args.skip):
        with throwaway_database():
            built = market.build(**(market.QUICK if args.quick else market.FULL))
            if "kpi" not in args.skip:
                lines += summary.run()
            if "pages" not in args.skip:
                lines += pages.run(built["users"], 10 if args.quick else 30)
    if "fan-out" not in args.skip:
        result = distribution.run("national")
        print(
            f"national day: {result['offers']:,} offers in {result['distribute']:.1f} s, "
            f"re-run {result['second_run']:.2f} s; {load()}"
        )
        lines += distribution.goals(result)
    if "returns" not in args.skip:
        with throwaway_database():
            lines += returns.run(returns.QUICK if args.quick else returns.FULL)
    print(f"\nall goals in {time.perf_counter() - started:.0f} s; {load()}")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
