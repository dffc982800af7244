"""The daily distribution (P3-P5): every queued package goes to each active branch of each active
PDPS provider whose coverage includes the package's ward, and to no other branch.

Do-once by construction: packages are claimed with SELECT ... FOR UPDATE SKIP LOCKED, offers are
inserted set-based with ON CONFLICT DO NOTHING against the (package, branch, round) unique
constraint (a reallocation batch, L4, starts a package's next round; widening, L5, adds to it), and
e-mails hang off unique (offer, kind) notification rows. A second run, a late run or a run on
another worker at the same moment creates nothing twice.

A run whose worker is killed (issue 14.5) keeps what its committed batches did, counted on its
row, and is marked interrupted by the next look (`distribution_runs_interrupted`: the next run,
the catch-up every five minutes, a worker starting): on PostgreSQL when its advisory lock
(`core.runlock`) is free, its process gone; on SQLite when it has been silent for STALE_RUN.
The packages it left queued go out with the catch-up (P5).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from contextvars import copy_context
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from threading import Event, Lock

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from core import changes, runlock
from core.audit import audit_bulk, audit_record
from core.models import PortalSettings
from notifications.models import Notification, NotificationKind, NotificationState
from notifications.outbox import COLUMNS as OUTBOX_COLUMNS
from notifications.outbox import handoff_report, notifications_send_after_commit
from providers.models import Branch, PdpsStatus, Provider, User
from wards.models import Coverage

from . import counts
from .models import (
    CapacityDeclaration,
    DeclineReason,
    DistributionRun,
    GapCount,
    Offer,
    Outcome,
    Package,
    PackageStatus,
    PlacementResponse,
    Urgency,
    WardDayCount,
)
from .notifications import (
    BRANCH_MARK,
    LINK_MARK,
    notify_offers,
    offer_emails_by_package,
    offer_link_parts,
)

# Packages a batch (one transaction) claims, and the batches run at once (`_run_batches`).
# Measured on the national day (5,000 packages, 125,781 offers, bench/distribution.py) by the CPU
# time of the database's session, which a shared box's load disturbs less than the clock: one
# worker, batches of 250, 500, 1,000 and 2,000 took 6.5, 6.6-7.5, 7.4-7.7 and 6.6 s (a batch's
# fixed cost is small beside its rows since the fan-out became one statement), and the Python
# side 1.4-1.8 s more. The session works on one core, so two workers, each on its own
# connection, share the day between the 2-core box's cores: 3.8-4.0 s a session with batches of
# 500 (10 batches, five each; 1,000 splits 3.3 s against 5.0 s), a few tenths more in all than
# one worker (locks two transactions share on the same branches). A killed worker loses a batch
# or two, and a batch's packages are locked for about a second.
BATCH = 500
WORKERS = 2
# SQLite cannot tell a live run from a dead one: a run with no batch committed for this long is dead
# (a batch takes a second or two).
STALE_RUN = timedelta(minutes=10)


@dataclass
class DistributionResult:
    packages: int = 0
    offers: int = 0
    uncovered: list[str] = field(default_factory=list)
    run_id: int | None = None
    # E-mails recorded but not handed to a worker (the broker was down): they wait in the outbox
    # and the resend job sends them when the broker is back.
    emails_waiting: int = 0

    def __str__(self) -> str:
        text = f"{self.packages} package(s) distributed, {self.offers} offer(s) made"
        if self.uncovered:
            text += f"; {len(self.uncovered)} package(s) for wards no branch covers: {', '.join(self.uncovered[:10])}"
        if self.emails_waiting:
            text += f"; {self.emails_waiting} e-mail(s) wait for the message broker"
        return text


def deadlines(sent_at: datetime) -> tuple[datetime, datetime]:
    """(standard, urgent) response deadlines for offers sent at `sent_at` (P6, settings)."""
    cfg = PortalSettings.load()
    # Elapsed hours, counted in UTC: the same answer whatever zone `sent_at` carries, and a
    # deadline across a clock change is still 72 (or 24) real hours away.
    utc = sent_at.astimezone(UTC)
    return (
        utc + timedelta(hours=cfg.standard_deadline_hours),
        utc + timedelta(hours=cfg.urgent_deadline_hours),
    )


def insert_offers(package_ids: list[int], sent_at: datetime, **options) -> int:
    """One INSERT ... SELECT offering `package_ids` in each package's current round to every
    branch that P4 allows (`_offers_insert` says which, and its `options`), each counted in its
    package's gaps for the quarter (K12, `counts.record_offered`). Returns the number of offers
    created."""
    sql, params = _offers_insert(package_ids, sent_at, **options)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING package_id", params)
        created = [package_id for (package_id,) in cursor.fetchall()]
    counts.record_offered(created, sent_at)
    return len(created)


def _offers_insert(
    package_ids: list[int],
    sent_at: datetime,
    *,
    status: str = PackageStatus.QUEUED,
    ward_ids: list[int] | None = None,
    batch_id: int | None = None,
    exclude_provider_id: int | None = None,
) -> tuple[str, list]:
    """The INSERT ... SELECT offering `package_ids` (in `status`) to every branch that P4 allows
    covering the package's ward (or, widening, any of `ward_ids`), except `exclude_provider_id`'s
    (L4); a branch already offered the package in this round is skipped by ON CONFLICT. Returns
    (sql, params)."""
    standard, urgent = deadlines(sent_at)
    adapt = connection.ops.adapt_datetimefield_value
    tables = {
        "offer": Offer._meta.db_table,
        "package": Package._meta.db_table,
        "coverage": Coverage._meta.db_table,
        "branch": Branch._meta.db_table,
        "provider": Provider._meta.db_table,
    }
    marks = ", ".join(["%s"] * len(package_ids))
    if ward_ids is None:
        wards, ward_params = "c.ward_id = p.ward_id", []
    else:
        wards = f"c.ward_id IN ({', '.join(['%s'] * len(ward_ids))})"
        ward_params = list(ward_ids)
    exclude = "" if exclude_provider_id is None else "AND b.provider_id <> %s"
    sql = f"""
        INSERT INTO {tables["offer"]} (package_id, branch_id, provider_id, sent_at, deadline, urgent,
            placement_response, outcome, responded_at, responded_by_id, offered_start_date,
            reason, note, feedback, closed_at, round, batch_id, award_reason)
        SELECT p.id, b.id, b.provider_id, %s,
            CASE WHEN p.urgency = %s THEN %s ELSE %s END, (p.urgency = %s),
            NULL, %s, NULL, NULL, NULL, '', '', '', NULL, p.round, %s, ''
        FROM {tables["package"]} p
        JOIN {tables["coverage"]} c ON {wards} AND c.ended_at IS NULL
        JOIN {tables["branch"]} b ON b.id = c.branch_id AND b.is_active {exclude}
        JOIN {tables["provider"]} pr ON pr.id = b.provider_id AND pr.pdps_status = %s
        WHERE p.status = %s AND p.id IN ({marks})
        ON CONFLICT (package_id, branch_id, round) DO NOTHING
    """  # noqa: S608 - table names come from the models, values are parameters
    params = [
        adapt(sent_at),
        Urgency.URGENT,
        adapt(urgent),
        adapt(standard),
        Urgency.URGENT,
        Outcome.OPEN,
        batch_id,
        *ward_params,
        *([] if exclude_provider_id is None else [exclude_provider_id]),
        PdpsStatus.ACTIVE,
        status,
        *package_ids,
    ]
    return sql, params


def insert_offers_and_emails(package_ids: list[int], sent_at: datetime) -> tuple[int, list[int]]:
    """Offer queued `package_ids` as `insert_offers` does and record each new offer's e-mail (P7)
    in the same statement (issue 13, goal 3): on PostgreSQL one INSERT of the offers whose
    RETURNING feeds one INSERT of their outbox rows, each package's e-mail rendered once
    (`offer_emails_by_package`) with its branch's name and the offer's link put in by the
    database; the offers are new, so none has an e-mail yet and the outbox's INSERT needs no
    ON CONFLICT (its unique (object, kind) still holds); the same statement counts the offers in
    their packages' gaps for the quarter (K12) and their day rows for ward health (W5). Elsewhere (SQLite) the offers' INSERT and then
    `notify_offers`. Returns (offers created, e-mail ids recorded); the e-mails go to a worker
    after commit."""
    if connection.vendor != "postgresql":
        created = insert_offers(package_ids, sent_at)
        new_offers = Offer.objects.filter(package_id__in=package_ids, sent_at=sent_at)
        return created, notify_offers(
            new_offers.values_list("pk", flat=True), NotificationKind.OFFER
        )
    offers_sql, offers_params = _offers_insert(package_ids, sent_at)
    rendered = offer_emails_by_package(package_ids, deadlines(sent_at))
    before, after = offer_link_parts()
    sql = f"""
        WITH rendered (package_id, subject, body) AS (
            SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[])
        ), new AS (
            {offers_sql}
            RETURNING id, package_id, branch_id, provider_id
        ), emails AS (
            INSERT INTO {Notification._meta.db_table} ({OUTBOX_COLUMNS})
            SELECT %s, %s, n.id, n.provider_id, n.branch_id, b.notification_email, r.subject,
                replace(replace(r.body, %s, %s || n.id || %s), %s, b.name), %s, 0, '', %s
            FROM new n
            JOIN {Branch._meta.db_table} b ON b.id = n.branch_id
            JOIN rendered r ON r.package_id = n.package_id
            RETURNING id
        ), gaps AS (
            INSERT INTO {GapCount._meta.db_table} (start, package_id, ward_id, service_level, offers)
            SELECT %s, n.package_id, p.ward_id, p.service_level, count(*)
            FROM new n JOIN {Package._meta.db_table} p ON p.id = n.package_id
            GROUP BY n.package_id, p.ward_id, p.service_level ORDER BY n.package_id
            ON CONFLICT (start, package_id)
            DO UPDATE SET offers = {GapCount._meta.db_table}.offers + excluded.offers
        ), days AS (
            INSERT INTO {WardDayCount._meta.db_table} (day, package_id, ward_id, sent)
            SELECT %s, n.package_id, p.ward_id, count(*)
            FROM new n JOIN {Package._meta.db_table} p ON p.id = n.package_id
            GROUP BY n.package_id, p.ward_id ORDER BY n.package_id
            ON CONFLICT (day, package_id)
            DO UPDATE SET sent = {WardDayCount._meta.db_table}.sent + excluded.sent
        )
        SELECT (SELECT count(*) FROM new), (SELECT array_agg(id ORDER BY id) FROM emails)
    """  # noqa: S608 - table names come from the models, values are parameters
    params = [
        *rendered,
        *offers_params,
        NotificationKind.OFFER,
        ContentType.objects.get_for_model(Offer).pk,
        LINK_MARK,
        before,
        after,
        BRANCH_MARK,
        NotificationState.PENDING,
        connection.ops.adapt_datetimefield_value(timezone.now()),
        counts.quarter_start(counts.local_day(sent_at)),  # K12: the new offers' quarter
        counts.local_day(sent_at),  # W5: the new offers' day
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        created, email_ids = cursor.fetchone()
    email_ids = email_ids or []
    notifications_send_after_commit(email_ids)
    return created, email_ids


def auto_answer_declared(package_ids: list[int], as_of: datetime, actor: User | None) -> int:
    """P12: answer at once, in one UPDATE, the unanswered offers of `package_ids` sent at `as_of`
    whose branch has no capacity declared at `as_of`: Unable to Accept, reason no capacity,
    marked `auto`. They stay offered and recorded (and e-mailed); K1 counts them as answers.
    Returns how many were answered."""
    declared = CapacityDeclaration.objects.active_at(as_of).values("branch_id")
    offers = Offer.objects.filter(
        package_id__in=package_ids,
        sent_at=as_of,
        placement_response__isnull=True,
        branch_id__in=declared,
    )
    rows = list(counts.state_rows(offers, "pk"))
    if not rows:
        return 0
    ids = [row[0] for row in rows]
    answered = Offer.objects.filter(pk__in=ids, placement_response__isnull=True).update(
        placement_response=PlacementResponse.UNABLE_TO_ACCEPT,
        reason=DeclineReason.NO_CAPACITY,
        responded_at=as_of,
        first_responded_at=as_of,
        auto=True,
    )
    # Offers inserted in this transaction, unanswered until now: K1 counts them as answers.
    before = [row[1:] for row in rows]
    change = {
        "placement_response": PlacementResponse.UNABLE_TO_ACCEPT,
        "reason": DeclineReason.NO_CAPACITY,  # K12's gaps count it by its reason
        "first_responded_at": as_of,
    }
    counts.shift(before, [counts.changed(state, change) for state in before])
    audit_bulk(
        actor=actor,
        action="offer.auto_answered",
        model=Offer,
        ids=ids,
        after={"placement_response": "unable_to_accept", "reason": "no_capacity", "auto": True},
    )
    return answered


@dataclass
class Claims:
    """How far a run's workers have claimed, in package order: each batch claims queued packages
    above it, so none is taken twice in a run (one whose ward nobody covers stays queued, and
    unlocked once its batch commits). The lock makes a claim and its mark one step."""

    after_pk: int = 0
    lock: Lock = field(default_factory=Lock, repr=False)


def _distribute_batch(
    run_id: int,
    claims: Claims,
    as_of: datetime,
    package_ids: list[int] | None,
    actor: User | None,
) -> tuple[int, int, list[str], int]:
    """Claim up to BATCH queued packages above `claims`, offer them, mark them offered, and add
    them to run `run_id`'s counts in the same transaction.

    Returns (packages offered, offers created, uncovered references, last pk claimed; 0 when done).
    """
    with transaction.atomic():
        queued = Package.objects.filter(status=PackageStatus.QUEUED)
        if package_ids is not None:
            queued = queued.filter(pk__in=package_ids)
        with claims.lock:
            claimed = list(
                queued.filter(pk__gt=claims.after_pk)
                .order_by("pk")
                # A scheduled run passes over a package someone holds; a send-now of named
                # packages waits for the holder (another run offering it), so when it returns
                # the package is offered, by this run or by that one.
                .select_for_update(skip_locked=package_ids is None)
                .values_list("pk", "reference")[:BATCH]
            )
            if claimed:
                claims.after_pk = claimed[-1][0]
        if not claimed:
            return 0, 0, [], 0
        ids = [pk for pk, _ in claimed]
        created, _ = insert_offers_and_emails(ids, as_of)
        offered = set(
            Offer.objects.filter(package_id__in=ids)
            .order_by()  # DISTINCT on the package alone, not on the default ordering's columns too
            .values_list("package_id", flat=True)
            .distinct()
        )
        Package.objects.filter(pk__in=offered).update(
            status=PackageStatus.OFFERED, distributed_at=as_of, uncovered_at=None
        )
        uncovered_ids = [pk for pk in ids if pk not in offered]
        if Package.objects.filter(pk__in=uncovered_ids, uncovered_at__isnull=True).update(
            uncovered_at=as_of
        ):
            changes.changed()  # the queue's counts of uncovered packages (an UPDATE: no post_save)
        audit_bulk(
            actor=actor,
            action="package.offered",
            model=Package,
            ids=sorted(offered),
            before={"status": "queued"},
            after={"status": "offered"},
        )
        auto_answer_declared(sorted(offered), as_of, actor)
        uncovered = [ref for pk, ref in claimed if pk not in offered]
        if connection.vendor == "postgresql":
            # The foreign keys are checked now rather than at commit, so the run's row (every
            # worker's batches add to it) is locked from here to the commit only.
            connection.check_constraints()
        DistributionRun.objects.filter(pk=run_id).update(
            packages=F("packages") + len(offered),
            offers=F("offers") + created,
            uncovered=F("uncovered") + len(uncovered),
            heartbeat_at=timezone.now(),
        )
        return len(offered), created, uncovered, ids[-1]


def distribute_packages(
    *,
    as_of: datetime | None = None,
    source: str = "schedule",
    package_ids: list[int] | None = None,
    actor: User | None = None,
) -> DistributionResult:
    """Offer every queued package (or just `package_ids`) as if run at `as_of` (P3-P5).

    Coverage and PDPS status are those in force when it runs. Packages whose ward no active branch
    covers stay queued and are flagged (`uncovered_at`) for navigators.
    """
    as_of = as_of or timezone.now()
    distribution_runs_interrupted(now=timezone.now())
    with transaction.atomic():
        # The lock is held before the row is visible, so no one ever sees this run without it.
        run = DistributionRun.objects.create(
            as_of=as_of, started_at=timezone.now(), heartbeat_at=timezone.now(), source=source
        )
        runlock.hold("distribution", run.pk)
    result = DistributionResult(run_id=run.pk)
    try:
        with handoff_report() as handoff:
            for packages, offers, uncovered in _run_batches(run.pk, as_of, package_ids, actor):
                result.packages += packages
                result.offers += offers
                result.uncovered += uncovered
            DistributionRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
            result.emails_waiting = handoff.waiting
    except BaseException:
        # An error in this process (not a kill): the run is over, unfinished; say so now if the
        # database still answers (if not, the next look marks it).
        with suppress(Exception):
            _mark_interrupted(run.pk, timezone.now())
        raise
    finally:
        with suppress(Exception):  # a dead connection has let the lock go already
            runlock.release("distribution", run.pk)
    return result


def _run_batches(
    run_id: int, as_of: datetime, package_ids: list[int] | None, actor: User | None
) -> list[tuple[int, int, list[str]]]:
    """Distribute batch after batch until none is left. Every queued package on PostgreSQL,
    outside a transaction: WORKERS at once, each on its own connection (the database then works
    on as many cores), claiming from one `Claims`. Returns each batch's (packages offered,
    offers created, uncovered references), in the packages' order."""
    claims, stop = Claims(), Event()
    apart = connection.vendor == "postgresql" and not connection.in_atomic_block
    if WORKERS < 2 or package_ids is not None or not apart:
        return [batch[1:] for batch in _batches(run_id, claims, as_of, package_ids, actor, stop)]
    PortalSettings.load()  # made here if missing, not by two workers at once
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = [
            pool.submit(
                copy_context().run, _batches_apart, run_id, claims, as_of, package_ids, actor, stop
            )
            for _ in range(WORKERS)
        ]
        done = [future.result() for future in futures]
    return [batch[1:] for batch in sorted(b for batches in done for b in batches)]


def _batches_apart(*args) -> list[tuple[int, int, int, list[str]]]:
    """`_batches` on this thread's own connection, closed when done."""
    try:
        return _batches(*args)
    finally:
        connection.close()


def _batches(
    run_id: int,
    claims: Claims,
    as_of: datetime,
    package_ids: list[int] | None,
    actor: User | None,
    stop: Event,
) -> list[tuple[int, int, int, list[str]]]:
    """Batch after batch until none is left or another worker failed (`stop`). Returns each
    batch's (last package id, packages offered, offers created, uncovered references)."""
    batches = []
    try:
        while not stop.is_set():
            packages, offers, uncovered, last_pk = _distribute_batch(
                run_id, claims, as_of, package_ids, actor
            )
            if not last_pk:
                break
            batches.append((last_pk, packages, offers, uncovered))
    except BaseException:
        stop.set()
        raise
    return batches


def _mark_interrupted(run_id: int, now: datetime) -> bool:
    with transaction.atomic():
        marked = DistributionRun.objects.filter(
            pk=run_id, finished_at__isnull=True, interrupted_at__isnull=True
        ).update(interrupted_at=now)
        if marked:
            run = DistributionRun.objects.get(pk=run_id)
            audit_record(
                actor=None,
                action="distribution_run.interrupted",
                obj=run,
                before={"state": "running"},
                after={"state": "interrupted", "packages": run.packages, "offers": run.offers},
            )
    return bool(marked)


def distribution_runs_interrupted(*, now: datetime) -> list[int]:
    """Mark interrupted every unfinished run whose process is gone (its worker killed, its web
    request's process ended): its advisory lock is free (PostgreSQL), or it has been silent for
    STALE_RUN (SQLite). A live run, here or on another worker, is left alone. Returns the ids."""
    marked = []
    open_runs = DistributionRun.objects.filter(
        finished_at__isnull=True, interrupted_at__isnull=True
    ).values_list("pk", "started_at", "heartbeat_at")
    for pk, started_at, heartbeat_at in open_runs:
        held = runlock.held_elsewhere("distribution", pk)
        gone = (heartbeat_at or started_at) < now - STALE_RUN if held is None else not held
        if gone and _mark_interrupted(pk, now):
            marked.append(pk)
    return marked
