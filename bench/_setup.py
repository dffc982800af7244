"""Shared set-up for benchmarks: Django on a throw-away database (test_<name>), never the real one."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def django_setup() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # One key for the benchmark and the gunicorn it starts (bench/pages.py): sessions signed here
    # must be valid there, and production wants 50 varied characters.
    os.environ.setdefault(
        "DJANGO_SECRET_KEY", "bench-only-" + "k7Qz9xV2mW4pL8sT1nR6yB3cF5hJ0dG" * 2
    )
    import django

    django.setup()


@contextmanager
def throwaway_database():
    """Create and migrate test_<db>, use it, and drop it afterwards."""
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    # Its own name, so a test run using test_<db> at the same time is not disturbed.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_{Path(str(old_name)).stem}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield connection
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


@contextmanager
def timed(label: str, results: dict):
    start = time.perf_counter()
    yield
    results[label] = time.perf_counter() - start


def load() -> str:
    """The machine's load averages, as `uptime` prints them (figures are only comparable with it)."""
    one, five, fifteen = os.getloadavg()
    return f"load average: {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} cores)"


def goal(
    name: str,
    figure: float,
    unit: str,
    limit: float,
    *,
    at_most: float | None = None,
    at_least: float | None = None,
    limit_unit: str | None = None,
) -> str:
    """One goal's line, the same in every benchmark (issue 13):
    `goal <name>: <figure> <unit> vs limit <limit> <unit> = <ratio>x (target <= 2)`."""
    ratio = figure / limit if limit else float("inf")
    target = f"<= {at_most:g}" if at_most is not None else f">= {at_least:g}"
    met = ratio <= at_most if at_most is not None else ratio >= at_least
    line = (
        f"goal {name}: {_num(figure)} {unit} vs limit {_num(limit)} {limit_unit or unit} "
        f"= {ratio:.2f}x (target {target}){'' if met else '  MISSED'}"
    )
    print(line, flush=True)
    return line


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
