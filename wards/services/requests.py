"""Ward requests (W3): providers ask for wards to be added to or removed from a branch's coverage;
contract managers approve (publishing one register version, W2) or reject; providers may withdraw."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from core.audit import audit_bulk, audit_record
from core.errors import InvalidInput, NotFound, StateConflict
from providers.models import Branch, PdpsStatus, User

from ..models import (
    Coverage,
    RegisterVersion,
    Ward,
    WardRequest,
    WardRequestAction,
    WardRequestStatus,
)
from ..permissions import may_ask_for_wards, may_decide_ward_requests
from .register import register_change


class WardRequestRefused(InvalidInput):
    """A ward request cannot be made or decided as asked; `messages` says why, for a person."""

    def __init__(self, messages: list[str] | str, *, field: str = "ward"):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        self.field = field  # the input the messages are about (API 400 `{field: [messages]}`)
        super().__init__({field: self.messages}, detail="; ".join(self.messages))


class WardRequestConflict(StateConflict):
    """The request's state forbids it: already decided or withdrawn (API 409); `messages` says
    why, for a person."""

    def __init__(self, messages: list[str] | str):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("; ".join(self.messages))


# What a page catches around a ward-request service to show why not.
WARD_REQUEST_REFUSALS = (WardRequestRefused, WardRequestConflict)


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
    actor: User,
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
    if not may_ask_for_wards(actor):
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
        raise NotFound(f"No ward request {', '.join(map(str, sorted(missing)))}")
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


def _decide(
    requests: list[WardRequest],
    status: str,
    actor: User,
    comment: str,
    now: datetime,
    version: RegisterVersion | None,
) -> None:
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
    *, actor: User, ids: Iterable[int], comment: str = "", now: datetime | None = None
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
    *, actor: User, ids: Iterable[int], comment: str, now: datetime | None = None
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


@transaction.atomic
def ward_request_withdraw(
    *, actor: User, request: WardRequest, now: datetime | None = None
) -> WardRequest:
    """The provider takes back its own pending request. Provider users who may see the branch
    only (PermissionDenied otherwise); WardRequestConflict once it is decided."""
    if not may_ask_for_wards(actor):
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
