"""P12 declared capacity: a branch (or its organisation) declares "no capacity" until a date at most
28 days ahead, with a note, and lifts it at will; the distribution answers its new offers at once
(`brokerage/distribution.py`, `auto_answer_declared`).

Declarations are a history (`CapacityDeclaration`): a new one ends the open one, a lift stamps it;
nothing is edited or deleted. Every declaration and lift is audited in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from core.audit import audit_record
from core.errors import InvalidInput, NotAllowed, NotFound
from providers.models import Branch, Provider, User
from wards.models import Coverage

from .models import CapacityDeclaration, Offer
from .permissions import may_declare_capacity

MAX_DAYS_AHEAD = 28
NO_CAPACITY = "no_capacity"
OPEN = "open"

UNTIL_PAST = "The date no capacity ends cannot be in the past"
UNTIL_TOO_FAR = "The date no capacity ends cannot be over 28 days ahead: choose {last} or earlier"
NOTE_MISSING = "Say why the branch has no capacity"


def _today(now: datetime) -> date:
    return timezone.localdate(now, timezone=timezone.get_default_timezone())


def _check_actor(actor: User, branch: Branch) -> Branch:
    """The branch, locked, if `actor` is a user of it or of its organisation.

    Raises NotAllowed for a council user (the role may not), NotFound for another provider's
    branch or a sibling branch of a branch user (A1)."""
    if not may_declare_capacity(actor):
        raise NotAllowed("Only the branch or its organisation declares its capacity.")
    locked = Branch.objects.visible_to(actor).select_for_update().filter(pk=branch.pk).first()
    if locked is None:
        raise NotFound("No such branch.")
    return locked


def capacity_active(*, branch: Branch, at: datetime | None = None) -> CapacityDeclaration | None:
    """The branch's declaration in force at `at` (default now), or None when it is open."""
    return (
        CapacityDeclaration.objects.active_at(at or timezone.now())
        .filter(branch=branch)
        .order_by("-declared_at")
        .first()
    )


def capacity_state(declaration: CapacityDeclaration | None) -> dict:
    """The API's `{status, until, note}` for a branch whose declaration in force is `declaration`."""
    if declaration is None:
        return {"status": OPEN, "until": None, "note": ""}
    return {"status": NO_CAPACITY, "until": declaration.until, "note": declaration.note}


def capacity_declare(
    *, actor: User, branch: Branch, until: date | None, note: str, now: datetime | None = None
) -> CapacityDeclaration:
    """Declare no capacity for `branch` until `until` (inclusive, at most 28 days after today,
    Europe/London), replacing any open declaration. Returns the new declaration.

    Raises InvalidInput (`until`, `note`), NotAllowed (council), NotFound (not the actor's)."""
    now = now or timezone.now()
    today = _today(now)
    errors: dict[str, list[str]] = {}
    last = today + timedelta(days=MAX_DAYS_AHEAD)
    if until is None:
        errors["until"] = ["Enter the date no capacity ends"]
    elif until < today:
        errors["until"] = [UNTIL_PAST]
    elif until > last:
        errors["until"] = [UNTIL_TOO_FAR.format(last=f"{last.day} {last:%B %Y}")]
    note = (note or "").strip()
    if not note:
        errors["note"] = [NOTE_MISSING]
    with transaction.atomic():
        branch = _check_actor(actor, branch)
        if errors:
            raise InvalidInput(errors)
        before = capacity_state(capacity_active(branch=branch, at=now))
        CapacityDeclaration.objects.filter(branch=branch, lifted_at__isnull=True).update(
            lifted_at=now, lifted_by=actor
        )
        declaration = CapacityDeclaration.objects.create(
            branch=branch, until=until, note=note, declared_by=actor, declared_at=now
        )
        audit_record(
            actor=actor,
            action="capacity.declared",
            obj=declaration,
            before={**before, "until": _iso(before["until"])},
            after={"status": NO_CAPACITY, "until": until.isoformat(), "note": note},
        )
    return declaration


def capacity_lift(*, actor: User, branch: Branch, now: datetime | None = None) -> int:
    """Lift the branch's open declaration now; returns how many were lifted (0 when it was open,
    which changes and audits nothing).

    Raises NotAllowed (council), NotFound (not the actor's)."""
    now = now or timezone.now()
    with transaction.atomic():
        branch = _check_actor(actor, branch)
        lifted = 0
        for declaration in CapacityDeclaration.objects.filter(
            branch=branch, lifted_at__isnull=True
        ):
            declaration.lifted_at, declaration.lifted_by = now, actor
            declaration.save(update_fields=["lifted_at", "lifted_by"])
            audit_record(
                actor=actor,
                action="capacity.lifted",
                obj=declaration,
                before={
                    "status": NO_CAPACITY,
                    "until": declaration.until.isoformat(),
                    "note": declaration.note,
                },
                after={"status": OPEN, "until": None, "note": ""},
            )
            lifted += 1
    return lifted


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# --- reads for the council's capacity page and API ------------------------------------------------


def capacity_rows() -> QuerySet[Branch]:
    """Every active branch, provider selected, by provider and branch name: the council's list
    (API `GET /capacity/`), read a page at a time; `with_declarations` adds each page's
    declarations (issue 13: a national market's 10,000 branches were all read for a page of 50)."""
    return (
        Branch.objects.filter(is_active=True)
        .select_related("provider")
        .order_by("provider__name", "name", "pk")
    )


def with_declarations(branches: list[Branch], *, at: datetime | None = None) -> list[Branch]:
    """Give each branch `declared`: its declaration in force at `at` (the newest, if more than
    one) or None. One query for the page."""
    at = at or timezone.now()
    declarations = {
        d.branch_id: d
        for d in CapacityDeclaration.objects.active_at(at)
        .filter(branch__in=[b.pk for b in branches])
        .order_by("declared_at", "id")
    }
    for branch in branches:
        branch.declared = declarations.get(branch.pk)
    return branches


@dataclass
class District:
    name: str
    branches: int  # active branches covering a ward in the district
    declared: list  # the declarations in force among them, provider and branch selected


def capacity_by_district(*, at: datetime | None = None) -> list[District]:
    """Each district with open coverage: how many active branches cover it, and which of them have
    declared no capacity at `at` (navigators, P12). Three queries."""
    at = at or timezone.now()
    open_cover = Coverage.objects.filter(ended_at__isnull=True, branch__is_active=True)
    counts = dict(
        open_cover.values_list("ward__district")
        .annotate(n=Count("branch", distinct=True))
        .values_list("ward__district", "n")
    )
    declarations = {
        d.branch_id: d
        for d in CapacityDeclaration.objects.active_at(at).select_related("branch__provider")
    }
    by_district: dict[str, list] = {name: [] for name in counts}
    pairs = (
        open_cover.filter(branch_id__in=declarations)
        .values_list("ward__district", "branch_id")
        .distinct()
    )
    for district, branch_id in pairs:
        by_district[district].append(declarations[branch_id])
    return [
        District(
            name=name,
            branches=counts[name],
            declared=sorted(by_district[name], key=lambda d: (d.until, d.branch.name)),
        )
        for name in sorted(counts)
    ]


@dataclass
class WardCapacity:
    branches: int  # active branches covering the ward now
    declared: list  # the declarations in force among them, soonest end first


def capacity_for_ward(ward, *, at: datetime | None = None) -> WardCapacity:
    """P12 on a package's page: how many active branches cover `ward`, and which of them have
    declared no capacity at `at`, until when, with the note (navigators). Two queries."""
    at = at or timezone.now()
    covering = Coverage.objects.filter(ward=ward, ended_at__isnull=True, branch__is_active=True)
    branch_ids = set(covering.values_list("branch_id", flat=True))
    declared = (
        CapacityDeclaration.objects.active_at(at)
        .filter(branch_id__in=branch_ids)
        .select_related("branch__provider")
        .order_by("until", "branch__provider__name", "branch__name")
    )
    return WardCapacity(branches=len(branch_ids), declared=list(declared) if branch_ids else [])


@dataclass
class ProviderCapacity:
    provider: Provider
    declarations: int
    days: int  # days with no capacity declared, each declaration up to its lift or its `until`
    auto_answered: int  # offers the portal answered Unable to Accept for it (P12)


def _days(declaration: CapacityDeclaration, today: date) -> int:
    start = _today(declaration.declared_at)
    end = min(declaration.until + timedelta(days=1), today + timedelta(days=1))
    if declaration.lifted_at is not None:
        end = min(end, _today(declaration.lifted_at))
    return max((end - start).days, 0)


def auto_answered_by_provider() -> QuerySet:
    """(provider id, offers auto-answered) for each provider with any (P12): read from the partial
    index of auto-answered offers (`offer_auto_answered`), never every offer."""
    return (
        Offer.objects.filter(auto=True)
        .order_by()
        .values_list("provider_id")
        .annotate(n=Count("id"))
        .values_list("provider_id", "n")
    )


def capacity_by_provider(*, now: datetime | None = None) -> list[ProviderCapacity]:
    """Per provider that ever declared no capacity or had an offer auto-answered: declarations,
    days declared so far and offers auto-answered (contract managers, P12). Three queries."""
    today = _today(now or timezone.now())
    rows: dict[int, list] = {}
    for declaration in CapacityDeclaration.objects.select_related("branch"):
        row = rows.setdefault(declaration.branch.provider_id, [0, 0])
        row[0] += 1
        row[1] += _days(declaration, today)
    auto = dict(auto_answered_by_provider())
    providers = Provider.objects.filter(Q(pk__in=rows) | Q(pk__in=auto)).order_by("name")
    return [
        ProviderCapacity(
            provider=provider,
            declarations=rows.get(provider.pk, [0, 0])[0],
            days=rows.get(provider.pk, [0, 0])[1],
            auto_answered=auto.get(provider.pk, 0),
        )
        for provider in providers
    ]
