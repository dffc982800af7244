"""Reads that are more than a filter, shaped for the pages and the API: the package's audit trail
(I4), the offers a user may see. (The award shortlist, L1, is `allocation.matrix`.)"""

from __future__ import annotations

import json

from django.contrib.contenttypes.models import ContentType
from django.db.models import JSONField, OuterRef, Q, QuerySet, Subquery, Sum
from django.shortcuts import get_object_or_404

from core.models import AuditEvent
from core.paging import bounded_counts
from notifications.models import Notification, NotificationKind
from providers.models import Branch, Role, User
from wards.models import Coverage

from .models import ANSWERS, GapCount, Offer, Outcome, Package, PackageStatus
from .notifications import with_email_state

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
    "package.widened": "Sent to more wards",
}
# Events with no `before` whose `after` says what happened (L5: the wards, offers made, round).
AFTER_SHOWN = {"package.widened"}


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


def _listed(after: dict | None) -> list[str]:
    """'field: value' for each value of an audit snapshot (lists joined with commas)."""
    return [
        f"{key.replace('_', ' ')}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
        for key, value in (after or {}).items()
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
            "changes": _changes(event.before, event.after)
            or (_listed(event.after) if event.action in AFTER_SHOWN else []),
            "reason": event.reason,
        }
        for event in events
    ]


def branches_to_offer(package: Package, ward_ids: list[int] | None = None) -> QuerySet[Branch]:
    """The branches a distribution would offer `package` now (P4): active branches of providers
    active on the PDPS covering its ward (or `ward_ids`), for a confirmation before sending."""
    wards = [package.ward_id] if ward_ids is None else ward_ids
    covering = Coverage.objects.in_force().filter(ward_id__in=wards).values("branch_id")
    return (
        Branch.objects.receiving_offers()
        .filter(pk__in=covering)
        .select_related("provider")
        .order_by("provider__name", "name")
    )


def with_awarded_standing(offers: QuerySet[Offer]) -> QuerySet[Offer]:
    """Annotate each offer with the score and parts of the offer awarded in its round (L6), in
    two subqueries: `standing_of` reads them, never the awarded provider's name."""
    awarded = Offer.objects.filter(
        package_id=OuterRef("package_id"), round=OuterRef("round"), outcome=Outcome.AWARDED
    )
    return offers.annotate(
        awarded_score=Subquery(awarded.values("score")[:1]),
        awarded_parts=Subquery(awarded.values("parts")[:1], output_field=JSONField()),
    )


def standing_of(offer: Offer) -> dict | None:
    """L6: where an answered offer stood once its round was awarded: its rank of how many were
    ranked, its score and parts, and the awarded offer's score and parts; None before award or
    for an offer never answered. An Unable to Accept was not ranked (rank, score, parts None)."""
    awarded_score = getattr(offer, "awarded_score", None)
    if offer.placement_response not in ANSWERS or awarded_score is None:
        return None
    parts = getattr(offer, "awarded_parts", None)
    if isinstance(parts, str):  # SQLite hands a subquery's JSON back as text
        parts = json.loads(parts)
    return {
        "rank": offer.rank,
        "of": offer.ranked_of,
        "score": None if offer.score is None else float(offer.score),
        "parts": offer.parts,
        "awarded": {"score": float(awarded_score), "parts": parts},
        "reason": offer.award_reason,
    }


def visible_offers(user: User) -> QuerySet[Offer]:
    """The offers `user` may see (A1) with their package, ward, provider and branch: what an offer
    shows less the four reads `offer_queryset` annotates and `with_page_extras` adds to a page."""
    return Offer.objects.visible_to(user).select_related("package__ward", "provider", "branch")


def offer_queryset(user: User) -> QuerySet[Offer]:
    """The offers `user` may see (A1), with what every offer list and page shows of them."""
    return with_awarded_standing(with_email_state(visible_offers(user).with_superseded()))


def with_page_extras(offers: list[Offer]) -> list[Offer]:
    """Give a page of offers (from `visible_offers`) what `offer_queryset` annotates: whether a
    later round's award superseded each (`superseded`, L4), its offer e-mail's state
    (`offer_email_state`, P7) and the score and parts awarded in its round (`awarded_score`,
    `awarded_parts`, L6). Two plain queries over the page's packages and offers instead of four
    correlated subqueries in the page's query (issue 13: at 2M offers PostgreSQL spent 4-8 ms
    planning the API's page query with them, longer than running it)."""
    if not offers:
        return offers
    awards: dict[int, list[tuple]] = {}
    rows = (
        Offer.objects.filter(package_id__in={o.package_id for o in offers}, outcome=Outcome.AWARDED)
        .order_by("-sent_at", "-id")  # as `with_awarded_standing`: the newest award of a round
        .values_list("package_id", "round", "score", "parts")
    )
    for package_id, round_, score, parts in rows:
        awards.setdefault(package_id, []).append((round_, score, parts))
    states = dict(
        Notification.objects.filter(
            content_type=ContentType.objects.get_for_model(Offer),
            object_id__in=[o.pk for o in offers],
            kind=NotificationKind.OFFER,
        )
        .order_by("created_at", "id")  # the newest last, so it is the one kept
        .values_list("object_id", "state")
    )
    for offer in offers:
        rounds = awards.get(offer.package_id, [])
        offer.superseded = any(r > offer.round for r, _, _ in rounds)
        same = next(((score, parts) for r, score, parts in rounds if r == offer.round), None)
        offer.awarded_score, offer.awarded_parts = same or (None, None)
        offer.offer_email_state = states.get(offer.pk)
    return offers


# What an offer list page never shows of a package (A3's personal details and the long texts):
# left unread, so a page of 50 rows reads and builds less (issue 13).
LIST_DEFERRED = (
    "package__needs_summary",
    "package__person_name",
    "package__address",
    "package__full_details",
    "package__call_pattern",
    "note",
    "feedback",
    "parts",
    "award_reason",
)


def offer_list_queryset(user: User) -> QuerySet[Offer]:
    """The offers `user` may see (A1) as the inbox and history pages list them: the package, its
    ward, the provider and branch, without the e-mail state and standing the offer page, the API
    and the CSV add (`offer_queryset`), and without the package's texts no row shows."""
    return (
        Offer.objects.visible_to(user)
        .select_related("package__ward", "provider", "branch")
        .defer(*LIST_DEFERRED)
    )


def open_offers_of(offers: QuerySet[Offer], user: User) -> QuerySet[Offer]:
    """`offers` (already scoped to `user`, A1) still open, soonest deadline first. An organisation
    user's are also narrowed to its provider's branches: the same offers (an offer's branch and
    provider are one foreign key), but PostgreSQL then reads them a branch at a time from
    `offer_open_by_branch` instead of ANDing the whole market's open offers with every offer the
    provider was ever sent (issue 13: at 2M offers the busiest provider's waiting list read 93
    buffers in 0.86 ms, now 34 in 0.25 ms; the first grows with the market, the second with the
    provider's own open offers)."""
    open_offers = offers.filter(outcome=Outcome.OPEN)
    if user.role == Role.PROVIDER_ORG and user.provider_id:
        branches = Branch.objects.filter(provider_id=user.provider_id).values("id")
        open_offers = open_offers.filter(branch_id__in=branches)
    return open_offers.order_by("deadline", "id")


def get_offer_or_404(user: User, pk: int) -> Offer:
    """One offer `user` may see; Http404 when it is not there or not theirs (A1)."""
    return get_object_or_404(offer_queryset(user), pk=pk)


def with_holder(packages: QuerySet[Package]) -> QuerySet[Package]:
    """Annotate each package with the provider and branch holding it (`holder_provider_id`,
    `holder_branch_id`): those of its latest awarded offer (L4: the one awarded in its latest
    round), or None before award. Two subqueries, whatever the number of packages."""
    awarded = Offer.objects.filter(package=OuterRef("pk"), outcome=Outcome.AWARDED).order_by(
        "-round"
    )  # as Package.awarded_offer: one award per package and round
    return packages.annotate(
        holder_provider_id=Subquery(awarded.values("provider_id")[:1]),
        holder_branch_id=Subquery(awarded.values("branch_id")[:1]),
    )


def with_offer_counts(packages: list[dict]) -> list[dict]:
    """Give each package (a dict with its `id`) `offers_sent` and `offers_made`: every offer it
    was sent in (any round) and those with an Offer Made, summed from its kept K12 counts
    (`GapCount`, a row a package and quarter, moved with every offer written: offers and made
    are exactly these), not grouped from its offers (issue 13: at 25M offers the queue's 50
    packages have 12,550 offers, 8 ms to group; their kept rows 0.13 ms)."""
    counts = {
        row["package_id"]: row
        for row in GapCount.objects.filter(package__in=[p["id"] for p in packages])
        .order_by()
        .values("package_id")
        .annotate(sent=Sum("offers"), made=Sum("made"))
    }
    for package in packages:
        row = counts.get(package["id"], {})
        package["offers_sent"] = row.get("sent", 0)
        package["offers_made"] = row.get("made", 0)
    return packages


def package_status_counts(visible: QuerySet[Package], shown: QuerySet[Package]) -> dict[str, int]:
    """The package queue's counts in one query of bounded subqueries (each stops at
    `core.paging.COUNT_CAP` + 1): `shown` (the list as filtered), `uncovered` (queued for a ward
    no branch covers) and one a status, all of the packages `visible` (A1) holds."""
    statuses = {s.value: visible.filter(status=s) for s in PackageStatus}
    uncovered = visible.filter(status=PackageStatus.QUEUED, uncovered_at__isnull=False)
    return bounded_counts({"shown": shown, "uncovered": uncovered} | statuses)
