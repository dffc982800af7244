"""Every write to wards, coverage and the register (STYLE 1). Each change of coverage publishes a new
numbered register version (W2) in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_bulk, audit_record
from core.csvio import ImportRejected, RowError, read_rows
from providers.models import Branch, PdpsStatus, Provider, Role

from .models import (
    Coverage,
    RegisterVersion,
    Ward,
    WardRequest,
    WardRequestAction,
    WardRequestStatus,
    ward_code_validator,
)

WARD_COLUMNS = ("ward_code", "ward_name", "district")
REGISTER_COLUMNS = ("provider_ref", "provider_name", "branch_ref", "branch_name", "ward_code")
REGISTER_OPTIONAL = (
    "notification_email",
    "cqc_rating",
    "senior_manager_email",
    "joined_on",
    "senior_manager_name",
)
# Longest value each column may hold (the model fields' max_length), checked before any write so a
# long value is a row error rather than a database error half-way through an import.
MAX_LENGTHS = {
    "ward_code": 9,
    "ward_name": 200,
    "district": 100,
    "provider_ref": 32,
    "provider_name": 200,
    "branch_ref": 32,
    "branch_name": 200,
    "senior_manager_name": 200,
}


@dataclass(frozen=True)
class WardImportResult:
    created: int
    updated: int
    unchanged: int


def _lock_register() -> int:
    """Serialise register changes and return the current version number.

    Version 0 (the empty register) is the lock row: every change locks it, so two contract managers
    approving at once publish v(n+1) and v(n+2), never two v(n+1).
    """
    try:
        with transaction.atomic():
            RegisterVersion.objects.get_or_create(number=0, defaults={"note": "Empty register"})
    except IntegrityError:
        pass
    RegisterVersion.objects.select_for_update().get(number=0)
    latest = RegisterVersion.objects.order_by("-number").values_list("number", flat=True).first()
    return latest or 0


def register_current_version() -> int:
    """The number of the register version now in force (0 before any)."""
    return RegisterVersion.objects.order_by("-number").values_list("number", flat=True).first() or 0


@transaction.atomic
def register_change(
    *,
    add: Iterable[tuple[Branch, Ward]] = (),
    remove: Iterable[tuple[Branch, Ward]] = (),
    actor=None,
    note: str = "",
    now: datetime | None = None,
) -> RegisterVersion | None:
    """Add and remove branch-ward pairs, publishing one new register version.

    Pairs already in the wanted state are ignored; returns None when nothing changed.
    """
    now = now or timezone.now()
    current = _lock_register()
    number = current + 1
    open_pairs = set(Coverage.objects.in_force().values_list("branch_id", "ward_id"))
    to_add = {(b.pk, w.pk) for b, w in add} - open_pairs
    to_remove = {(b.pk, w.pk) for b, w in remove} & open_pairs
    if not to_add and not to_remove:
        return None
    version = RegisterVersion.objects.create(
        number=number,
        published_by=actor,
        note=note[:500],
        added=len(to_add),
        removed=len(to_remove),
    )
    Coverage.objects.bulk_create(
        Coverage(branch_id=b, ward_id=w, started_at=now, added_in=number) for b, w in sorted(to_add)
    )
    for branch_id, ward_id in to_remove:
        Coverage.objects.filter(branch_id=branch_id, ward_id=ward_id, ended_at__isnull=True).update(
            ended_at=now, removed_in=number
        )
    audit_record(
        actor=actor,
        action="register.publish",
        obj=version,
        before={"version": current},
        after={
            "version": number,
            "added": sorted([list(p) for p in to_add]),
            "removed": sorted([list(p) for p in to_remove]),
        },
        reason=note,
    )
    return version


def _check_lengths(number: int, row: dict[str, str]) -> list[RowError]:
    return [
        RowError(number, column, f"is longer than {limit} characters")
        for column, limit in MAX_LENGTHS.items()
        if len(row.get(column, "")) > limit
    ]


def _check_ward_row(number: int, row: dict[str, str]) -> list[RowError]:
    errors = _check_lengths(number, {k: v for k, v in row.items() if k != "ward_code"})
    try:
        ward_code_validator(row["ward_code"])
    except ValidationError:
        errors.append(
            RowError(
                number, "ward_code", f"'{row['ward_code']}' is not an ONS ward code like E05012345"
            )
        )
    for column in ("ward_name", "district"):
        if not row[column]:
            errors.append(RowError(number, column, "is empty"))
    return errors


@transaction.atomic
def wards_import(*, source: IO, actor=None) -> WardImportResult:
    """Create or update wards from CSV `ward_code,ward_name,district` (W4); all or nothing."""
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    rows: list[dict[str, str]] = []
    for number, row in read_rows(source, required=WARD_COLUMNS):
        row_errors = _check_ward_row(number, row)
        if row["ward_code"] in seen:
            row_errors.append(
                RowError(number, "ward_code", f"repeats row {seen[row['ward_code']]}")
            )
        seen.setdefault(row["ward_code"], number)
        errors.extend(row_errors)
        rows.append(row)
    if not rows and not errors:
        errors.append(RowError(0, "", "the file has no ward rows"))
    if errors:
        raise ImportRejected(errors)
    existing = {w.code: w for w in Ward.objects.filter(code__in=seen)}
    created = updated = unchanged = 0
    new = []
    for row in rows:
        ward = existing.get(row["ward_code"])
        if ward is None:
            new.append(Ward(code=row["ward_code"], name=row["ward_name"], district=row["district"]))
            created += 1
        elif (ward.name, ward.district) != (row["ward_name"], row["district"]):
            ward.name, ward.district = row["ward_name"], row["district"]
            ward.save(update_fields=["name", "district"])
            updated += 1
        else:
            unchanged += 1
    Ward.objects.bulk_create(new, batch_size=1000)
    return WardImportResult(created=created, updated=updated, unchanged=unchanged)


@dataclass(frozen=True)
class RegisterImportResult:
    providers_created: int
    branches_created: int
    version: RegisterVersion | None


def _parse_rating(value: str) -> str | None:
    from providers.models import CqcRating

    wanted = value.strip().lower().replace(" ", "_")
    for choice in CqcRating:
        if wanted in {choice.value, choice.label.lower().replace(" ", "_")}:
            return choice.value
    return None


def _check_register_row(number: int, row: dict[str, str], wards: dict[str, int]) -> list[RowError]:
    from django.core.validators import validate_email
    from django.utils.dateparse import parse_date

    errors = [RowError(number, c, "is empty") for c in REGISTER_COLUMNS if not row[c]]
    errors += _check_lengths(number, {k: v for k, v in row.items() if k != "ward_code"})
    if row["ward_code"] and row["ward_code"] not in wards:
        errors.append(
            RowError(
                number, "ward_code", f"no ward with code '{row['ward_code']}'; import wards first"
            )
        )
    for column in ("notification_email", "senior_manager_email"):
        if row[column]:
            try:
                validate_email(row[column])
            except ValidationError:
                errors.append(RowError(number, column, f"'{row[column]}' is not an e-mail address"))
    if row["cqc_rating"] and _parse_rating(row["cqc_rating"]) is None:
        errors.append(RowError(number, "cqc_rating", f"'{row['cqc_rating']}' is not a CQC rating"))
    if row["joined_on"]:
        try:
            ok = parse_date(row["joined_on"]) is not None
        except ValueError:
            ok = False
        if not ok:
            errors.append(
                RowError(number, "joined_on", f"'{row['joined_on']}' is not a date like 2025-02-14")
            )
    return errors


def _check_register_consistency(rows: list[tuple[int, dict[str, str]]]) -> list[RowError]:
    """The same provider must have one name, the same branch one name, and no pair may repeat."""
    errors = []
    provider_names: dict[str, tuple[int, str]] = {}
    branch_names: dict[tuple[str, str], tuple[int, str]] = {}
    pairs: dict[tuple[str, str, str], int] = {}
    for number, row in rows:
        first = provider_names.setdefault(row["provider_ref"], (number, row["provider_name"]))
        if first[1] != row["provider_name"]:
            errors.append(
                RowError(number, "provider_name", f"differs from row {first[0]} ('{first[1]}')")
            )
        key = (row["provider_ref"], row["branch_ref"])
        first = branch_names.setdefault(key, (number, row["branch_name"]))
        if first[1] != row["branch_name"]:
            errors.append(
                RowError(number, "branch_name", f"differs from row {first[0]} ('{first[1]}')")
            )
        pair = (*key, row["ward_code"])
        if pair in pairs:
            errors.append(RowError(number, "ward_code", f"repeats row {pairs[pair]}"))
        pairs.setdefault(pair, number)
    return errors


def _provider_fields(rows: list[dict[str, str]]) -> dict:
    """The provider's fields from all of its rows: the name, and each optional value the file gives
    (the first non-empty one); optional columns left empty leave the provider's value alone."""
    from django.utils.dateparse import parse_date

    first = rows[0]
    fields: dict = {"name": first["provider_name"]}

    def given(column: str) -> str:
        return next((r[column] for r in rows if r[column]), "")

    if rating := given("cqc_rating"):
        fields["cqc_rating"] = _parse_rating(rating)
    for column in ("senior_manager_email", "senior_manager_name"):
        if value := given(column):
            fields[column] = value
    if joined := given("joined_on"):
        fields["joined_on"] = parse_date(joined)
    return fields


def _providers_upsert(
    by_ref: dict[str, list[dict[str, str]]], actor
) -> tuple[dict[str, Provider], int]:
    """Create the providers the file names that do not exist yet (active on the PDPS) and update the
    others' fields; one write per provider, audited. Returns (providers by ref, number created)."""
    existing = {p.ref: p for p in Provider.objects.filter(ref__in=by_ref)}
    created = 0
    for ref, rows in by_ref.items():
        fields = _provider_fields(rows)
        provider = existing.get(ref)
        if provider is None:
            provider = Provider.objects.create(ref=ref, **fields)
            existing[ref] = provider
            created += 1
            audit_record(
                actor=actor,
                action="provider.create",
                obj=provider,
                after={"ref": ref, **{k: str(v) for k, v in fields.items()}},
            )
            continue
        before = {k: str(getattr(provider, k)) for k in fields}
        changed = [k for k, v in fields.items() if getattr(provider, k) != v]
        if changed:
            for field in changed:
                setattr(provider, field, fields[field])
            provider.save(update_fields=changed)
            audit_record(
                actor=actor,
                action="provider.update",
                obj=provider,
                before={k: before[k] for k in changed},
                after={k: str(fields[k]) for k in changed},
            )
    return existing, created


def _branches_upsert(
    by_key: dict[tuple[str, str], list[dict[str, str]]], providers: dict[str, Provider], actor
) -> tuple[dict[tuple[str, str], Branch], int]:
    """Create or update each branch the file names; one write per new or changed branch."""
    existing = {
        (b.provider.ref, b.ref): b
        for b in Branch.objects.filter(provider__in=providers.values()).select_related("provider")
    }
    branches: dict[tuple[str, str], Branch] = {}
    created = 0
    for key, rows in by_key.items():
        fields = {"name": rows[0]["branch_name"]}
        if email := next((r["notification_email"] for r in rows if r["notification_email"]), ""):
            fields["notification_email"] = email
        branch = existing.get(key)
        if branch is None:
            branch = Branch.objects.create(provider=providers[key[0]], ref=key[1], **fields)
            created += 1
            audit_record(
                actor=actor, action="branch.create", obj=branch, after={"ref": key[1], **fields}
            )
        elif changed := [k for k, v in fields.items() if getattr(branch, k) != v]:
            before = {k: getattr(branch, k) for k in changed}
            for field in changed:
                setattr(branch, field, fields[field])
            branch.save(update_fields=changed)
            audit_record(
                actor=actor,
                action="branch.update",
                obj=branch,
                before=before,
                after={k: fields[k] for k in changed},
            )
        branches[key] = branch
    return branches, created


@transaction.atomic
def register_import(*, source: IO, actor=None, note: str = "") -> RegisterImportResult:
    """Import `provider_ref,provider_name,branch_ref,branch_name,ward_code` (W4); all or nothing.

    Creates providers (active on the PDPS) and branches as needed. Each branch named in the file
    then covers exactly the wards the file lists for it; branches not in the file keep theirs.
    Publishes one register version for the whole file (none when the coverage is unchanged).
    Raises ImportRejected, listing every bad row, before writing anything.
    """
    wards = dict(Ward.objects.values_list("code", "pk"))
    rows = list(read_rows(source, required=REGISTER_COLUMNS, optional=REGISTER_OPTIONAL))
    errors = [e for number, row in rows for e in _check_register_row(number, row, wards)]
    errors += _check_register_consistency(rows)
    if not rows and not errors:
        errors.append(RowError(0, "", "the file has no register rows"))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.row))

    by_provider: dict[str, list[dict[str, str]]] = {}
    by_branch: dict[tuple[str, str], list[dict[str, str]]] = {}
    for _, row in rows:
        by_provider.setdefault(row["provider_ref"], []).append(row)
        by_branch.setdefault((row["provider_ref"], row["branch_ref"]), []).append(row)
    providers, providers_created = _providers_upsert(by_provider, actor)
    branches, branches_created = _branches_upsert(by_branch, providers, actor)

    wanted: dict[int, set[int]] = {
        branches[key].pk: {wards[r["ward_code"]] for r in branch_rows}
        for key, branch_rows in by_branch.items()
    }
    have: dict[int, set[int]] = {}
    current = Coverage.objects.in_force().filter(branch_id__in=wanted)
    for branch_id, ward_id in current.values_list("branch_id", "ward_id"):
        have.setdefault(branch_id, set()).add(ward_id)
    by_id_branch = {b.pk: b for b in branches.values()}
    by_id_ward = {
        w.pk: w
        for w in Ward.objects.filter(
            pk__in={w for s in wanted.values() for w in s} | {w for s in have.values() for w in s}
        )
    }
    add = [
        (by_id_branch[b], by_id_ward[w])
        for b, ws in wanted.items()
        for w in ws - have.get(b, set())
    ]
    remove = [(by_id_branch[b], by_id_ward[w]) for b, ws in have.items() for w in ws - wanted[b]]
    version = register_change(add=add, remove=remove, actor=actor, note=note or "Register imported")
    return RegisterImportResult(providers_created, branches_created, version)


def register_export_rows(number: int | None = None, *, user=None) -> list[list[str]]:
    """The register (version `number`, or the one in force) in the import's own format, W4.

    Importing the result reproduces the same coverage (round trip). With `user`, only the
    coverage that user may see (A1: a provider user its own branches', council staff all);
    without, the whole register (commands and jobs).
    """
    coverage = (
        Coverage.objects.in_force() if number is None else Coverage.objects.in_version(number)
    )
    if user is not None:
        coverage = coverage.visible_to(user)
    rows = coverage.order_by("branch__provider__ref", "branch__ref", "ward__code").values_list(
        "branch__provider__ref",
        "branch__provider__name",
        "branch__ref",
        "branch__name",
        "ward__code",
    )
    return [list(REGISTER_COLUMNS), *(list(r) for r in rows)]


# --- Ward requests (W3) ---------------------------------------------------------------------------


class WardRequestRefused(Exception):
    """A ward request cannot be made or decided as asked; `messages` says why, for a person."""

    def __init__(self, messages: list[str] | str, *, field: str = "ward"):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        self.field = field  # the input the messages are about (API 400 `{field: [messages]}`)
        super().__init__("; ".join(self.messages))


class WardRequestConflict(WardRequestRefused):
    """The request's state forbids it: already decided or withdrawn (API 409)."""


def may_decide_ward_requests(actor) -> bool:
    """W3: contract managers (and administrators, who hold every role) decide ward requests."""
    return actor is not None and actor.is_authenticated and actor.has_role(Role.CONTRACT_MANAGER)


def _not_taking_wards(branch: Branch) -> list[str]:
    """Why `branch` may not take on wards now (W3, P4): an inactive branch, or a provider not
    active on the PDPS, receives no offers, so adding coverage to it is refused."""
    refusals = []
    if not branch.is_active:
        refusals.append(f"Branch {branch.name} is inactive")
    if branch.provider.pdps_status != PdpsStatus.ACTIVE:
        refusals.append(f"Provider {branch.provider.name} is not active on the PDPS")
    return refusals


def _create_refusals(
    branch: Branch, wards: list[Ward], action: str, pending: set[int], covered: set[int]
) -> list[str]:
    refusals = []
    for ward in wards:
        if action == WardRequestAction.ADD and ward.pk in covered:
            refusals.append(f"{branch.name} already covers {ward.name} ({ward.code})")
        elif action == WardRequestAction.REMOVE and ward.pk not in covered:
            refusals.append(f"{branch.name} does not cover {ward.name} ({ward.code})")
        elif ward.pk in pending:
            refusals.append(
                f"{branch.name} already has a pending request to {action} {ward.name} ({ward.code})"
            )
    return refusals


@transaction.atomic
def ward_request_create(
    *,
    actor,
    branch: Branch,
    wards: Iterable[Ward],
    action: str,
    reason: str = "",
    now: datetime | None = None,
) -> list[WardRequest]:
    """Ask for `wards` to be added to or removed from `branch`'s coverage, one request per ward,
    all with the same reason (W3). All or nothing: raises WardRequestRefused listing every ward
    that cannot be asked for (already covered, not covered, already pending).

    Provider users only, for a branch they may see (a branch user its own); others get
    PermissionDenied. Coverage does not change until a contract manager approves.
    """
    if actor is None or not actor.is_provider_user:
        raise PermissionDenied("Only provider users ask for ward changes.")
    if not Branch.objects.visible_to(actor).filter(pk=branch.pk).exists():
        raise PermissionDenied("You may only ask for changes to your own branches.")
    if action not in WardRequestAction.values:
        raise WardRequestRefused(f"'{action}' is not add or remove", field="action")
    wards = list({w.pk: w for w in wards}.values())
    if not wards:
        raise WardRequestRefused("Choose at least one ward")
    # Lock the branch so two people asking for the same branch at once queue up here.
    locked = (
        Branch.objects.select_for_update(of=("self",))
        .select_related("provider")
        .filter(pk=branch.pk)
        .first()
    )
    if action == WardRequestAction.ADD and (refusals := _not_taking_wards(locked)):
        # Removals stay possible: a closed branch may still give up its wards.
        raise WardRequestRefused(refusals, field="branch")
    ward_ids = [w.pk for w in wards]
    covered = set(
        Coverage.objects.in_force()
        .filter(branch=branch, ward_id__in=ward_ids)
        .values_list("ward_id", flat=True)
    )
    pending = set(
        WardRequest.objects.pending()
        .filter(branch=branch, action=action, ward_id__in=ward_ids)
        .values_list("ward_id", flat=True)
    )
    if refusals := _create_refusals(branch, wards, action, pending, covered):
        raise WardRequestRefused(refusals)
    now = now or timezone.now()
    created = WardRequest.objects.bulk_create(
        WardRequest(
            branch=branch,
            ward=ward,
            action=action,
            reason=reason.strip(),
            requested_by=actor,
            requested_at=now,
        )
        for ward in sorted(wards, key=lambda w: w.code)
    )
    for request in created:
        audit_record(
            actor=actor,
            action="ward_request.create",
            obj=request,
            after={"branch": branch.pk, "ward": request.ward.code, "action": action},
            reason=request.reason,
        )
    return created


def _lock_pending(ids: list[int]) -> list[WardRequest]:
    """Lock the requests in id order (so two bulk decisions cannot deadlock) and return them;
    WardRequestConflict naming each one that is no longer pending."""
    locked = list(
        WardRequest.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("branch__provider", "ward", "decided_by")
        .order_by("pk")
    )
    if missing := set(ids) - {r.pk for r in locked}:
        raise WardRequest.DoesNotExist(f"No ward request {', '.join(map(str, sorted(missing)))}")
    decided = [r for r in locked if r.status != WardRequestStatus.PENDING]
    if decided:
        raise WardRequestConflict(
            [
                f"Request {r.pk} has already been {r.get_status_display().lower()}"
                + (f" by {r.decided_by.username}" if r.decided_by else "")
                + (
                    f" at {timezone.localtime(r.decided_at):%H:%M on %d %b %Y}"
                    if r.decided_at
                    else ""
                )
                for r in decided
            ]
        )
    return locked


def _decide(requests: list[WardRequest], status: str, actor, comment: str, now, version) -> None:
    ids = [r.pk for r in requests]
    WardRequest.objects.filter(pk__in=ids).update(
        status=status, decided_by=actor, decided_at=now, comment=comment, version=version
    )
    for request in requests:
        request.status, request.decided_by, request.decided_at = status, actor, now
        request.comment, request.version = comment, version
    audit_bulk(
        actor=actor,
        action=f"ward_request.{status}",
        model=WardRequest,
        ids=ids,
        before={"status": WardRequestStatus.PENDING},
        after={"status": status, "version": version.number if version else None},
        reason=comment,
    )


@transaction.atomic
def ward_requests_approve(
    *, actor, ids: Iterable[int], comment: str = "", now: datetime | None = None
) -> RegisterVersion | None:
    """Approve the pending requests `ids` together: their coverage changes take effect now, in one
    new register version, which each request then links (W2, W3). Returns that version, or None
    when the register already was as asked (e.g. an import made the same change since).

    Contract managers only (PermissionDenied otherwise). The requests are locked first, so of two
    contract managers approving the same request at once one wins and the other gets
    WardRequestConflict ("already approved"); nothing is half-approved.
    """
    if not may_decide_ward_requests(actor):
        raise PermissionDenied("Only contract managers approve ward requests.")
    ids = sorted(set(ids))
    if not ids:
        raise WardRequestRefused("Choose at least one request", field="ids")
    requests = _lock_pending(ids)
    pairs = {}
    for r in requests:
        if pairs.setdefault((r.branch_id, r.ward_id), r.action) != r.action:
            raise WardRequestRefused(
                f"Requests to add and to remove {r.ward.name} for {r.branch.name} cannot both be "
                "approved at once"
            )
    # Adding coverage to a branch that is inactive, or whose provider is not active on the PDPS,
    # is refused (the state changed since the request was made); removals may still be approved.
    not_taking = [
        f"Request {r.pk} ({r.ward.name} for {r.branch.name}): {problem}"
        for r in requests
        if r.action == WardRequestAction.ADD
        for problem in _not_taking_wards(r.branch)
    ]
    if not_taking:
        raise WardRequestConflict(not_taking)
    add = [(r.branch, r.ward) for r in requests if r.action == WardRequestAction.ADD]
    remove = [(r.branch, r.ward) for r in requests if r.action == WardRequestAction.REMOVE]
    now = now or timezone.now()
    numbers = ", ".join(str(r.pk) for r in requests)
    note = f"Ward request{'s' if len(requests) > 1 else ''} {numbers} approved"
    version = register_change(
        add=add, remove=remove, actor=actor, note=f"{note}: {comment}" if comment else note, now=now
    )
    _decide(requests, WardRequestStatus.APPROVED, actor, comment.strip(), now, version)
    return version


@transaction.atomic
def ward_requests_reject(
    *, actor, ids: Iterable[int], comment: str, now: datetime | None = None
) -> list[WardRequest]:
    """Reject the pending requests `ids` with a comment the provider will see (W3). Contract
    managers only; a request already decided raises WardRequestConflict. Coverage is unchanged."""
    if not may_decide_ward_requests(actor):
        raise PermissionDenied("Only contract managers reject ward requests.")
    if not comment.strip():
        raise WardRequestRefused(
            "Say why the request is rejected: the provider will see it", field="comment"
        )
    ids = sorted(set(ids))
    if not ids:
        raise WardRequestRefused("Choose at least one request", field="ids")
    requests = _lock_pending(ids)
    _decide(
        requests, WardRequestStatus.REJECTED, actor, comment.strip(), now or timezone.now(), None
    )
    return requests


def ward_request_approve(
    *, actor, request: WardRequest, comment: str = ""
) -> RegisterVersion | None:
    """Approve one request; see ward_requests_approve."""
    return ward_requests_approve(actor=actor, ids=[request.pk], comment=comment)


def ward_request_reject(*, actor, request: WardRequest, comment: str) -> WardRequest:
    """Reject one request; see ward_requests_reject."""
    return ward_requests_reject(actor=actor, ids=[request.pk], comment=comment)[0]


@transaction.atomic
def ward_request_withdraw(
    *, actor, request: WardRequest, now: datetime | None = None
) -> WardRequest:
    """The provider takes back its own pending request. Provider users who may see the branch
    only (PermissionDenied otherwise); WardRequestConflict once it is decided."""
    if actor is None or not actor.is_provider_user:
        raise PermissionDenied("Only the provider withdraws its request.")
    if not WardRequest.objects.visible_to(actor).filter(pk=request.pk).exists():
        raise PermissionDenied("This is not your request.")
    locked = _lock_pending([request.pk])[0]
    now = now or timezone.now()
    WardRequest.objects.filter(pk=locked.pk).update(
        status=WardRequestStatus.WITHDRAWN, decided_by=actor, decided_at=now
    )
    locked.status, locked.decided_by, locked.decided_at = WardRequestStatus.WITHDRAWN, actor, now
    audit_record(
        actor=actor,
        action="ward_request.withdrawn",
        obj=locked,
        before={"status": WardRequestStatus.PENDING},
        after={"status": WardRequestStatus.WITHDRAWN},
    )
    return locked
