"""Benchmark: one day's distribution (P3-P5) in a county-sized and a national-sized market.

    python bench/distribution.py                 # both scales
    python bench/distribution.py --scale county  # one
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal python bench/distribution.py

Builds the market in a throw-away database (bulk inserts), queues the packages, times
`distribute_packages` and prints offers per second and queries per package. E-mail sending is
left out (it happens in workers after commit); recording the notification rows is timed.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._setup import django_setup, goal, load, throwaway_database, timed  # noqa: E402

SCALES = {
    # providers, branches, wards, wards covered per branch, packages
    "county": (120, 300, 600, 30, 500),
    "national": (3000, 10_000, 7000, 20, 5000),
}


def build_market(
    providers: int, branches: int, wards: int, per_branch: int, packages: int, rng: random.Random
) -> None:
    from django.utils import timezone

    from brokerage.models import Package
    from providers.models import Branch, PdpsStatus, Provider
    from wards.models import Coverage, RegisterVersion, Ward

    Ward.objects.bulk_create(
        [
            Ward(code=f"E05{i:06d}", name=f"Ward {i}", district=f"District {i // 50}")
            for i in range(wards)
        ],
        batch_size=5000,
    )
    statuses = [PdpsStatus.ACTIVE] * 18 + [PdpsStatus.SUSPENDED, PdpsStatus.LEFT]
    Provider.objects.bulk_create(
        [
            Provider(ref=f"P{i:05d}", name=f"Provider {i}", pdps_status=rng.choice(statuses))
            for i in range(providers)
        ],
        batch_size=5000,
    )
    provider_ids = list(Provider.objects.values_list("pk", flat=True))
    Branch.objects.bulk_create(
        [
            Branch(
                provider_id=provider_ids[i % providers],
                ref=f"B{i:05d}",
                name=f"Branch {i}",
                notification_email=f"b{i}@example.org",
                is_active=rng.random() > 0.03,
            )
            for i in range(branches)
        ],
        batch_size=5000,
    )
    ward_ids = list(Ward.objects.order_by("pk").values_list("pk", flat=True))
    branch_ids = list(Branch.objects.values_list("pk", flat=True))
    now = timezone.now()
    RegisterVersion.objects.create(number=1, note="benchmark")
    rows = []
    for branch_id in branch_ids:
        # a branch covers a run of neighbouring wards, as real branches do
        first = rng.randrange(len(ward_ids))
        rows += [
            Coverage(
                branch_id=branch_id,
                ward_id=ward_ids[(first + k) % len(ward_ids)],
                started_at=now,
                added_in=1,
            )
            for k in range(per_branch)
        ]
    Coverage.objects.bulk_create(rows, batch_size=10_000)
    Package.objects.bulk_create(
        [
            Package(
                reference=f"BENCH-{i:06d}",
                ward_id=rng.choice(ward_ids),
                postcode="PR1 4AB",
                service_level="homecare_single",
                hours_per_week=10,
                call_pattern="2 calls a day",
                start_date=date(2026, 3, 9),
                needs_summary="Personal care",
                urgency="urgent" if rng.random() < 0.1 else "standard",
                status="queued",
            )
            for i in range(packages)
        ],
        batch_size=5000,
    )


def run(scale: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from brokerage.distribution import distribute_packages
    from brokerage.models import Offer
    from notifications.models import Notification

    providers, branches, wards, per_branch, packages = SCALES[scale]
    results: dict = {}
    with throwaway_database():
        with timed("build", results):
            build_market(providers, branches, wards, per_branch, packages, random.Random(7))
        eleven = datetime(2026, 3, 2, 11, 0, tzinfo=ZoneInfo("Europe/London"))
        with (
            mock.patch("notifications.outbox._send_on_commit"),
            CaptureQueriesContext(connection) as queries,
            timed("distribute", results),
        ):
            result = distribute_packages(as_of=eleven)
        with timed("second_run", results):
            again = distribute_packages(as_of=eleven)
        results.update(
            scale=scale,
            vendor=connection.vendor,
            packages=result.packages,
            uncovered=len(result.uncovered),
            offers=Offer.objects.count(),
            notifications=Notification.objects.count(),
            queries=len(queries),
            second_run_offers=again.offers,
        )
        if connection.vendor == "postgresql":
            results["copy_rate"] = copy_rate(results["offers"])
            results["copy_with_emails_rate"] = copy_rate(results["offers"], with_emails=True)
    return results


def copy_rate(rows: int, *, with_emails: bool = False) -> float:
    """Rows a second for COPY of `rows` offers-shaped rows into a table like brokerage_offer (its
    columns, indexes and constraints): the limit the national day is compared with (issue 13).
    `with_emails`: and as many outbox-shaped rows with a recorded e-mail's body (its table's
    indexes and constraints; like the offers', no foreign keys): what the fan-out writes, as fast
    as PostgreSQL takes it, printed beside the goal."""
    import io
    import time

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_offer_copy (LIKE brokerage_offer INCLUDING DEFAULTS INCLUDING IDENTITY "
            "INCLUDING CONSTRAINTS INCLUDING INDEXES)"
        )
        cursor.execute("SELECT min(id), max(id) FROM brokerage_package")
        first, last = cursor.fetchone()
        cursor.execute("SELECT array_agg(id), array_agg(provider_id) FROM providers_branch")
        branches, providers = cursor.fetchone()
        block = io.StringIO()
        for i in range(rows):
            package = first + i % (last - first + 1)
            b = (i // (last - first + 1) + i * 7) % len(branches)
            block.write(
                f"{package}\t{branches[b]}\t{providers[b]}\t2026-03-02 11:00+00\t"
                f"2026-03-05 11:00+00\tf\t\\N\topen\t\\N\t\\N\t\\N\t\t\t\t\\N\t\\N\tf\n"
            )
        columns = (
            "package_id, branch_id, provider_id, sent_at, deadline, urgent, placement_response, "
            "outcome, responded_at, responded_by_id, offered_start_date, reason, note, feedback, "
            "closed_at, viewed_at, auto"
        )
        block.seek(0)
        emails = io.StringIO()
        if with_emails:
            cursor.execute(
                "CREATE TABLE bench_email_copy (LIKE notifications_notification INCLUDING DEFAULTS "
                "INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING INDEXES)"
            )
            cursor.execute("SELECT subject, body FROM notifications_notification LIMIT 1")
            subject, body = cursor.fetchone()
            body = body.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
            for i in range(rows):
                b = i % len(branches)
                emails.write(
                    f"offer\t1\t{i}\t{providers[b]}\t{branches[b]}\tb{i}@example.org\t{subject}\t"
                    f"{body}\tpending\t0\t\t2026-03-02 11:00+00\n"
                )
            emails.seek(0)
        start = time.perf_counter()
        cursor.connection.cursor().copy_expert(
            f"COPY bench_offer_copy ({columns}) FROM STDIN", block
        )
        if with_emails:
            cursor.connection.cursor().copy_expert(
                "COPY bench_email_copy (kind, content_type_id, object_id, provider_id, branch_id, "
                "to_email, subject, body, state, attempts, last_error, created_at) FROM STDIN",
                emails,
            )
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_offer_copy")
        if with_emails:
            cursor.execute("DROP TABLE bench_email_copy")
    return rows / elapsed


def goals(r: dict) -> list[str]:
    """Goal 3's lines: the national day's offers a second against COPY's, and the re-run."""
    lines = []
    if "copy_rate" in r:
        lines.append(
            goal(
                f"fan-out-{r['scale']}",
                r["offers"] / r["distribute"],
                "offers/s",
                r["copy_rate"],
                at_least=0.5,
                limit_unit="rows/s (COPY into an offers-shaped table)",
            )
        )
    lines.append(goal(f"fan-out-{r['scale']}-rerun", r["second_run"], "s", 1, at_most=1))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=[*SCALES, "all"], default="all")
    args = parser.parse_args()
    django_setup()
    for scale in SCALES if args.scale == "all" else [args.scale]:
        r = run(scale)
        per_package = r["queries"] / max(r["packages"] + r["uncovered"], 1)
        print(
            f"{r['scale']:>8} on {r['vendor']}: built in {r['build']:.1f}s; distributed {r['packages']} packages "
            f"({r['uncovered']} uncovered) into {r['offers']} offers and {r['notifications']} e-mail records "
            f"in {r['distribute']:.2f}s = {r['offers'] / r['distribute']:,.0f} offers/s; "
            f"{r['queries']} queries = {per_package:.3f} per package; "
            f"second run {r['second_run']:.2f}s made {r['second_run_offers']} offers; {load()}"
        )
        if "copy_with_emails_rate" in r:
            print(
                f"{r['scale']:>8}: COPY of the offers and their e-mails (no foreign keys) "
                f"{r['copy_with_emails_rate']:,.0f} offers/s; the fan-out "
                f"{r['offers'] / r['distribute'] / r['copy_with_emails_rate']:.2f}x of that"
            )
        goals(r)
        print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
