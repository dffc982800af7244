"""A national market built set-based (issue 13): providers and branches with bulk_create, packages
and offers each with one INSERT ... SELECT FROM generate_series (PostgreSQL), spread over the last
450 days up to now, settled as the services would have left them; the newest three days still
open. One branch (`BINBOX`) is offered every recent package, so its inbox is a busy one. The kept
response counts are then rebuilt from the offers (`rebuild_kpi_summary --all`), and one user per
page's role made.

    --quick: 20,000 packages, 2,000,000 offers; full: 100,000 packages, 25,000,000 offers.
"""

from __future__ import annotations

import time

QUICK = {"packages": 20_000, "offers": 2_000_000}
FULL = {"packages": 100_000, "offers": 25_000_000}
PROVIDERS, BRANCHES = 3_000, 10_000
DAYS = 450
INBOX_PACKAGES = 3_000  # the busy branch is offered the newest 3,000 packages


def build(packages: int, offers: int, out=print) -> dict:
    from django.db import connection

    from brokerage import holdings
    from brokerage.counts import rebuild, rebuild_gaps, rebuild_wards
    from providers.models import Branch, Provider
    from wards.models import Ward

    started = time.perf_counter()
    Ward.objects.bulk_create(
        [
            Ward(code=f"E05{i:06d}", name=f"Ward {i}", district=f"District {i // 50}")
            for i in range(700)
        ]
    )
    Provider.objects.bulk_create(
        [Provider(ref=f"P{i:05d}", name=f"Provider {i}") for i in range(PROVIDERS)], batch_size=5000
    )
    ids = list(Provider.objects.order_by("pk").values_list("pk", flat=True))
    Branch.objects.bulk_create(
        [
            Branch(provider_id=ids[i % PROVIDERS], ref=f"B{i:05d}", name=f"Branch {i}")
            for i in range(BRANCHES)
        ]
        + [Branch(provider_id=ids[0], ref="BINBOX", name="Busy branch")],
        batch_size=5000,
    )
    per = max(offers // packages, 1)
    spread = BRANCHES // per
    with connection.cursor() as cursor:
        # Package g (1 = oldest) went out at `sent`: 11:00 of its day (UTC), as the daily
        # distribution sends every package of a day at one time; the newest three days still offered.
        cursor.execute(
            f"""
            CREATE TEMP TABLE bench_times AS
            SELECT g, LEAST(now() - INTERVAL '1 minute', date_trunc('day',
                          now() - ({DAYS} * ({packages} - g)::float / {packages}) * INTERVAL '1 day')
                      + INTERVAL '11 hours') AS sent
            FROM generate_series(1, {packages}) g;
            INSERT INTO brokerage_package (reference, ward_id, postcode, service_level,
                hours_per_week, call_pattern, carer_gender, urgency, start_date, needs_summary,
                person_name, address, full_details, status, created_at, queued_at, distributed_at,
                withdrawn_reason, cancel_reason, cancelled_on_doorstep, end_reason, awarded_at)
            SELECT 'BENCH-' || t.g, (SELECT min(id) FROM wards_ward) + t.g % 700, 'PR1 4AB',
                   (ARRAY['homecare_single','homecare_two','stcah_single','stcah_two'])[1 + t.g % 4],
                   5 + t.g % 20, '2 calls a day', 'any',
                   CASE WHEN t.g % 10 = 0 THEN 'urgent' ELSE 'standard' END,
                   (t.sent + INTERVAL '14 days')::date, 'Personal care', '', '', '',
                   CASE WHEN t.sent > now() - INTERVAL '3 days' THEN 'offered'
                        WHEN t.g % 10 < 8 THEN 'awarded' ELSE 'withdrawn' END,
                   t.sent - INTERVAL '1 day', t.sent - INTERVAL '1 day', t.sent, '', '', false, '',
                   CASE WHEN t.sent <= now() - INTERVAL '3 days' AND t.g % 10 < 8
                        THEN t.sent + INTERVAL '3 days' END
            FROM bench_times t ORDER BY t.g;
            CREATE TEMP TABLE bench_branch AS
                SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, provider_id
                FROM providers_branch WHERE ref <> 'BINBOX';
            CREATE TEMP TABLE bench_package AS
                SELECT row_number() OVER (ORDER BY p.id) - 1 AS n, p.id, t.sent,
                       p.status, p.urgency = 'urgent' AS urgent
                FROM brokerage_package p JOIN bench_times t ON p.reference = 'BENCH-' || t.g;
            CREATE INDEX ON bench_branch (n); CREATE INDEX ON bench_package (n);
            ANALYZE bench_branch; ANALYZE bench_package;
            """
        )
        # Offer g goes to package g / per and to `per` different branches. Answered in realistic
        # shares; settled (Not Awarded, one Awarded per awarded package) unless still offered.
        offer_sql = """
            INSERT INTO brokerage_offer (package_id, branch_id, provider_id, sent_at, deadline,
                urgent, placement_response, outcome, reason, note, feedback, offered_start_date,
                responded_at, closed_at, auto)
            SELECT p.id, b.id, b.provider_id, p.sent, p.sent + INTERVAL '3 days', p.urgent,
                   r.response,
                   CASE WHEN p.status = 'offered' THEN 'open'
                        WHEN p.status = 'withdrawn' THEN 'withdrawn'
                        WHEN r.response = 'offer_made' AND r.first THEN 'awarded'
                        ELSE 'not_awarded' END,
                   CASE WHEN r.response = 'unable_to_accept' THEN 'no_capacity' ELSE '' END, '', '',
                   CASE WHEN r.response = 'offer_made' THEN (p.sent + INTERVAL '7 days')::date END,
                   CASE WHEN r.response IN ('offer_made', 'unable_to_accept')
                        THEN p.sent + INTERVAL '5 hours' END,
                   CASE WHEN p.status <> 'offered' THEN p.sent + INTERVAL '3 days' END, false
            FROM {source}
            CROSS JOIN LATERAL (SELECT CASE
                WHEN p.status = 'offered' AND k % 3 = 0 THEN NULL
                WHEN (k * 31 + b.provider_id * 17) % 100 < 55 + (b.provider_id % 7) * 5 THEN 'offer_made'
                WHEN (k * 31 + b.provider_id * 17) % 100 < 85 THEN 'unable_to_accept'
                WHEN p.status = 'offered' THEN NULL
                WHEN (k * 31 + b.provider_id * 17) % 100 < 95 THEN 'no_response'
                ELSE 'closed_before_response' END AS response,
                k % {per} = 0 AS first) r
            ON CONFLICT (package_id, branch_id, round) DO NOTHING
        """
        cursor.execute(
            offer_sql.format(
                per=per,
                source=f"""generate_series(0::bigint, {int(offers)} - 1) k
                JOIN bench_package p ON p.n = k / {per}
                JOIN bench_branch b ON b.n = (k % {per}) * {spread} + (k / {per}) % {spread}""",
            )
        )
        cursor.execute(
            offer_sql.format(
                per=per,
                source=f"""(SELECT n * {per} + 1 AS k, id, sent, status, urgent FROM bench_package
                            WHERE n >= {packages} - {INBOX_PACKAGES}) p
                CROSS JOIN (SELECT id, provider_id FROM providers_branch WHERE ref = 'BINBOX') b""",
            )
        )
        # As autovacuum would have left tables that grew over 450 days: statistics, and the
        # visibility map that lets a bounded count read an index alone (issue 13, goal 2). Every
        # table, not the offers and packages alone: without statistics for the providers, branches
        # and wards (autovacuum is off on these machines) the planner took 3,000 providers for 90
        # and sorted every offer for a council's history page 500 (2.7 s at 2M).
        cursor.execute("VACUUM (ANALYZE)")
    built = time.perf_counter() - started
    started = time.perf_counter()
    rebuild(everything=True)
    rebuild_gaps(everything=True)  # K12's market gaps
    rebuild_wards(everything=True)  # ward health's day counts (W5)
    holdings.rebuild()  # the hours each provider holds (L1, issue 10)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the kept counts just rebuilt, and the rest
        cursor.execute("SELECT count(*) FROM brokerage_offer")
        (count,) = cursor.fetchone()
    rebuilt = time.perf_counter() - started
    users = make_users()
    out(
        f"market: {count:,} offers of {packages:,} packages to {BRANCHES:,} branches of "
        f"{PROVIDERS:,} providers, built in {built:.0f} s; response counts rebuilt in {rebuilt:.1f} s"
    )
    return {"offers": count, "users": users, "build_s": built, "rebuild_s": rebuilt}


def make_users() -> dict:
    from providers.models import Branch, Role, User

    inbox = Branch.objects.get(ref="BINBOX")
    made = {}
    for name, role, extra in (
        ("bench-navigator", Role.NAVIGATOR, {}),
        ("bench-contract", Role.CONTRACT_MANAGER, {}),
        ("bench-branch", Role.PROVIDER_BRANCH, {"provider": inbox.provider, "branch": inbox}),
    ):
        user = User.objects.create_user(
            username=name, password="bench-pass-12345", role=role, **extra
        )
        made[name] = user
    return made
