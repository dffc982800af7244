"""The ward and register CSV files (W4): import all or nothing, every bad row listed before any
write; export the register in the import's own format (a round trip). Provider and branch rows are
written through `providers.services`, coverage through `register.register_change`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpResponse
from django.utils.dateparse import parse_date

from core.csvio import ImportRejected, RowError, csv_response
from core.uploads import bounded_csv_rows
from providers.models import CqcRating, User
from providers.services import branches_upsert, providers_upsert

from ..models import Coverage, RegisterVersion, Ward, ward_code_validator
from .register import register_change

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
def wards_import(*, source: IO, actor: User | None = None) -> WardImportResult:
    """Create or update wards from CSV `ward_code,ward_name,district` (W4); all or nothing."""
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    rows: list[dict[str, str]] = []
    for number, row in bounded_csv_rows(source, required=WARD_COLUMNS):
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
    wanted = value.strip().lower().replace(" ", "_")
    for choice in CqcRating:
        if wanted in {choice.value, choice.label.lower().replace(" ", "_")}:
            return choice.value
    return None


def _check_register_row(number: int, row: dict[str, str], wards: dict[str, int]) -> list[RowError]:
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


def _branch_fields(rows: list[dict[str, str]]) -> dict[str, str]:
    """The branch's fields from all of its rows: the name, and the first notification e-mail given
    (an empty column leaves the branch's address alone)."""
    fields = {"name": rows[0]["branch_name"]}
    if email := next((r["notification_email"] for r in rows if r["notification_email"]), ""):
        fields["notification_email"] = email
    return fields


@transaction.atomic
def register_import(
    *, source: IO, actor: User | None = None, note: str = ""
) -> RegisterImportResult:
    """Import `provider_ref,provider_name,branch_ref,branch_name,ward_code` (W4); all or nothing.

    Creates providers (active on the PDPS) and branches as needed. Each branch named in the file
    then covers exactly the wards the file lists for it; branches not in the file keep theirs.
    Publishes one register version for the whole file (none when the coverage is unchanged).
    Raises ImportRejected, listing every bad row, before writing anything.
    """
    wards = dict(Ward.objects.values_list("code", "pk"))
    rows = list(bounded_csv_rows(source, required=REGISTER_COLUMNS, optional=REGISTER_OPTIONAL))
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
    providers, providers_created = providers_upsert(
        fields_by_ref={ref: _provider_fields(rs) for ref, rs in by_provider.items()}, actor=actor
    )
    branches, branches_created = branches_upsert(
        fields_by_key={key: _branch_fields(rs) for key, rs in by_branch.items()},
        providers=providers,
        actor=actor,
    )

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


def register_csv_response(number: int, user: User | None = None) -> HttpResponse:
    """Register version `number` as a CSV download in the import's format (W2, W4), for the page
    and the API alike; with `user`, only the coverage that user may see (A1)."""
    return csv_response(f"ward-register-v{number}.csv", register_export_rows(number, user=user))
