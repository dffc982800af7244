"""Reads of the register that are more than a filter."""

from dataclasses import dataclass

from django.db.models import QuerySet

from providers.models import Branch, User

from .models import Coverage, RegisterVersion


def branch_coverage(branch: Branch, *, user: User) -> QuerySet[Coverage]:
    """The coverage in force of `branch` that `user` may see (A1), with each ward."""
    return Coverage.objects.visible_to(user).in_force().filter(branch=branch).select_related("ward")


def register_versions() -> QuerySet[RegisterVersion]:
    """Published register versions, newest first. Version 0, the empty register that serialises
    publishing (see services._lock_register), is not a published version and is left out."""
    return RegisterVersion.objects.filter(number__gt=0).select_related("published_by")


@dataclass(frozen=True)
class RegisterChanges:
    """What changed in the register between version `since` and version `number` (W2)."""

    number: int
    since: int
    added: list[dict[str, str]]
    removed: list[dict[str, str]]


PAIR_FIELDS = {
    "provider_ref": "branch__provider__ref",
    "provider_name": "branch__provider__name",
    "branch_ref": "branch__ref",
    "branch_name": "branch__name",
    "ward_code": "ward__code",
    "ward_name": "ward__name",
    "district": "ward__district",
}


def _pairs(number: int, user=None) -> set[tuple[str, ...]]:
    coverage = Coverage.objects.in_version(number)
    if user is not None:
        coverage = coverage.visible_to(user)
    return set(coverage.values_list(*PAIR_FIELDS.values()))


def register_changes(*, number: int, since: int, user=None) -> RegisterChanges:
    """The branch-ward pairs in version `number` but not in `since` (added) and the reverse
    (removed), each sorted by provider, branch and ward. Either version may be the older.

    With `user`, only pairs of branches that user may see (A1: a provider user its own, council
    staff all); without, the whole register."""
    old, new = _pairs(since, user), _pairs(number, user)

    def rows(pairs: set[tuple[str, ...]]) -> list[dict[str, str]]:
        return [dict(zip(PAIR_FIELDS, pair, strict=True)) for pair in sorted(pairs)]

    return RegisterChanges(
        number=number, since=since, added=rows(new - old), removed=rows(old - new)
    )


def register_since(value: str | None, number: int) -> int:
    """The version to compare version `number` with: `value` when given (0 is the empty register),
    else the one before. Raises ValueError when `value` is not a published version."""
    if value in (None, ""):
        return number - 1
    if not value.isdigit() or (
        int(value) != 0 and not register_versions().filter(number=int(value)).exists()
    ):
        raise ValueError(f"'{value}' is not a published register version")
    return int(value)


CHANGE_COLUMNS = ("change", *PAIR_FIELDS)


def register_changes_rows(changes: RegisterChanges) -> list[list[str]]:
    """The comparison as CSV rows (without header): every added pair, then every removed one."""
    return [
        [kind, *(row[f] for f in PAIR_FIELDS)]
        for kind, rows in (("added", changes.added), ("removed", changes.removed))
        for row in rows
    ]
