"""Reads that are more than a filter, shaped for the pages and the API: the award shortlist (L1)
with its score parts laid out, the package's audit trail (I4), the offers a user may see."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from core.models import AuditEvent
from providers.models import User

from .models import Offer, Outcome, Package, PlacementResponse
from .notifications import with_email_state

FULL_MARKS_WITHIN_DAYS = 0
ZERO_MARKS_AFTER_DAYS = 28


def _start_score(package: Package, offer: Offer) -> tuple[float, int]:
    days_late = max((offer.offered_start_date - package.start_date).days, 0)
    return max(0.0, 1 - days_late / ZERO_MARKS_AFTER_DAYS), days_late


def shortlist(package: Package) -> list[dict]:
    """The offers made for `package`, best first: for now, earliest start first (L1 simple form).

    Each entry shows the parts of its score, so the ranking can be checked.
    """
    offers = (
        Offer.objects.filter(package=package, placement_response=PlacementResponse.OFFER_MADE)
        .exclude(outcome=Outcome.WITHDRAWN)
        .select_related("provider", "branch")
        .order_by("offered_start_date", "responded_at", "id")
    )
    rows = []
    for offer in offers:
        score, days_late = _start_score(package, offer)
        rows.append(
            {
                "offer": offer.pk,
                "provider": {"ref": offer.provider.ref, "name": offer.provider.name},
                "branch": {"ref": offer.branch.ref, "name": offer.branch.name},
                "offered_start_date": offer.offered_start_date,
                "note": offer.note,
                "outcome": offer.outcome,
                "score": round(score, 3),
                "parts": {
                    "start": {
                        "days_after_wanted_start": days_late,
                        "score": round(score, 3),
                        "weight": 1.0,
                    }
                },
            }
        )
    return rows


def shortlist_rows(package: Package) -> list[dict]:
    """The shortlist with each score part laid out for the page: name, score, weight, details."""
    rows = shortlist(package)
    for row in rows:
        row["outcome_label"] = Outcome(row["outcome"]).label
        row["parts_shown"] = [
            {
                "name": name.replace("_", " ").capitalize(),
                "score": part.get("score"),
                "weight": part.get("weight"),
                "details": [
                    (key.replace("_", " ").capitalize(), value)
                    for key, value in part.items()
                    if key not in {"score", "weight"}
                ],
            }
            for name, part in row["parts"].items()
        ]
    return rows


AUDIT_ACTIONS = {
    "package.create": "Created",
    "package.edit": "Edited",
    "package.queued": "Queued for distribution",
    "package.offered": "Sent to branches",
    "package.withdrawn": "Withdrawn",
    "package.awarded": "Awarded",
    "package.cancelled": "Cancelled",
    "package.ended": "Ended",
    "package.hours": "Hours of care changed",
    "offer.respond": "Branch answered",
    "offer.award": "Offer awarded",
}


def _changes(before: dict | None, after: dict | None) -> list[str]:
    """'field: old → new' for each value that changed between two audit snapshots."""
    before, after = before or {}, after or {}
    if not before:
        return []

    def shown(value) -> str:
        return "–" if value in (None, "", "None") else str(value)

    return [
        f"{key.replace('_', ' ')}: {shown(before.get(key))} → {shown(after.get(key))}"
        for key in after
        if before.get(key) != after.get(key)
    ]


def package_audit_trail(package: Package, offers: list[Offer]) -> list[dict]:
    """The package's own events and those of its offers (answers, award), newest first (I4)."""
    by_id = {str(o.pk): o for o in offers}
    events = AuditEvent.objects.filter(
        Q(object_type="brokerage.package", object_id=str(package.pk))
        | Q(object_type="brokerage.offer", object_id__in=list(by_id))
    ).order_by("-at", "-id")
    return [
        {
            "at": event.at,
            "who": event.actor_label,
            "what": AUDIT_ACTIONS.get(event.action, event.action),
            "offer": by_id.get(event.object_id) if event.object_type == "brokerage.offer" else None,
            "changes": _changes(event.before, event.after),
            "reason": event.reason,
        }
        for event in events
    ]


def offer_queryset(user: User) -> QuerySet[Offer]:
    """The offers `user` may see (A1), with what every offer list and page shows of them."""
    offers = Offer.objects.visible_to(user).select_related("package__ward", "provider", "branch")
    return with_email_state(offers)


def get_offer_or_404(user: User, pk: int) -> Offer:
    """One offer `user` may see; Http404 when it is not there or not theirs (A1)."""
    return get_object_or_404(offer_queryset(user), pk=pk)


def with_holder(packages: QuerySet[Package]) -> QuerySet[Package]:
    """Annotate each package with the provider and branch holding it (`holder_provider_id`,
    `holder_branch_id`): those of its latest awarded offer (L4: the one awarded in its latest
    round), or None before award. Two subqueries, whatever the number of packages."""
    awarded = Offer.objects.filter(package=OuterRef("pk"), outcome=Outcome.AWARDED).order_by(
        "-sent_at", "-id"
    )
    return packages.annotate(
        holder_provider_id=Subquery(awarded.values("provider_id")[:1]),
        holder_branch_id=Subquery(awarded.values("branch_id")[:1]),
    )
