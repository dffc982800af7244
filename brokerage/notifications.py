"""E-mails to branches about their offers (P7), through the one outbox (`notifications`): this
module renders each e-mail when it is recorded; the outbox records it once per (offer, kind), claims
it before sending, retries it with back-off and resends it from the one job."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.listing import formatted_once, link_for
from notifications.models import Notification, NotificationKind, NotificationState
from notifications.outbox import Outgoing, notifications_enqueue

from .models import Offer

RENDER_CHUNK = 500

SUBJECTS = {
    NotificationKind.OFFER: "New package of care {ref}: {ward}, answer by {deadline}",
    NotificationKind.AWARDED: "Package {ref} has been awarded to you",
    NotificationKind.NOT_AWARDED: "Package {ref} was not awarded to you",
    NotificationKind.WITHDRAWN: "Package {ref} has been withdrawn",
    NotificationKind.REMINDER: "Reminder: package {ref} ({ward}) needs your answer by {deadline}",
}


def notify_offers(offer_ids: Iterable[int], kind: str) -> list[int]:
    """Record one e-mail per offer for `kind` (skipping any already recorded) and send them after
    commit. Returns the ids of the e-mails recorded now."""
    offer_ids = list(offer_ids)
    created: list[int] = []
    for start in range(0, len(offer_ids), RENDER_CHUNK):
        chunk = offer_ids[start : start + RENDER_CHUNK]
        offers = Offer.objects.filter(pk__in=chunk).select_related(
            "package__ward", "branch__provider"
        )
        created += notifications_enqueue(offer_email(offer, kind) for offer in offers)
    return created


def offer_email(offer: Offer, kind: str) -> Outgoing:
    """The e-mail about one offer, to its branch. Before award it carries no personal details (A3)."""
    package = offer.package
    deadline = timezone.localtime(offer.deadline)
    subject = SUBJECTS[kind].format(
        ref=package.reference, ward=package.ward.name, deadline=f"{deadline:%H:%M %a %-d %b}"
    )
    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse("brokerage:offer", args=[offer.pk])
    context = {
        "offer": offer,
        "package": package,
        "deadline": deadline,
        "link": link,
        "branch": offer.branch,
    }
    return Outgoing(
        about=offer,
        kind=kind,
        to=[offer.branch.notification_email],
        subject=subject,
        body=render_to_string(f"brokerage/email/{kind}.txt", context),
        provider_id=offer.branch.provider_id,
        branch_id=offer.branch_id,
    )


# Issue 13, goal 3: the fan-out renders each package's offer e-mail once, with these marks where
# the branch's name and the offer's link go, and the database puts them in for every offer in the
# statement that inserts the offers (`brokerage.distribution.insert_offers_and_emails`). Control
# characters no name or template holds; `offer_email` stays the one renderer of an offer's e-mail,
# and a test proves each recorded e-mail is what it would render.
BRANCH_MARK = "\x1fbranch\x1f"
LINK_MARK = "\x1flink\x1f"
_NO_OFFER = 987_654_321  # an id for reverse(); its digits are cut out of the link it gives


class _BranchMark:
    name = BRANCH_MARK


def offer_link_parts() -> tuple[str, str]:
    """(before, after) the offer's id in its link, as `offer_email` writes it."""
    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse("brokerage:offer", args=[_NO_OFFER])
    before, after = link.split(str(_NO_OFFER))
    return before, after


def offer_emails_by_package(
    package_ids: Iterable[int], deadlines: tuple, kind: str = NotificationKind.OFFER
) -> tuple[list[int], list[str], list[str]]:
    """Each package's e-mail about offering it (P7), rendered once for all its branches: its
    subject, and its body with BRANCH_MARK and LINK_MARK for the branch's name and the offer's
    link. `deadlines` is (standard, urgent), as `distribution.deadlines` gives them. Three lists
    (package ids, subjects, bodies) in step, for the database's unnest()."""
    from .models import Package, Urgency

    standard, urgent = (timezone.localtime(d) for d in deadlines)
    ids, subjects, bodies = [], [], []
    for package in Package.objects.filter(pk__in=list(package_ids)).select_related("ward"):
        deadline = urgent if package.urgency == Urgency.URGENT else standard
        context = {
            "package": package,
            "deadline": deadline,
            "link": LINK_MARK,
            "branch": _BranchMark,
        }
        ids.append(package.pk)
        subjects.append(
            SUBJECTS[kind].format(
                ref=package.reference,
                ward=package.ward.name,
                deadline=f"{deadline:%H:%M %a %-d %b}",
            )[:300]
        )
        bodies.append(render_to_string(f"brokerage/email/{kind}.txt", context))
    return ids, subjects, bodies


# The API's three words for an offer e-mail's state (P7, P11); None before one is recorded.
EMAIL_STATE = {
    NotificationState.PENDING: "pending",
    NotificationState.SENDING: "pending",
    NotificationState.SENT: "sent",
    NotificationState.FAILED: "failed",
    NotificationState.GAVE_UP: "failed",
}


def with_email_state(offers: QuerySet, offer_ref: str = "pk") -> QuerySet:
    """Annotate each offer with `offer_email_state`, its offer e-mail's outbox state (one
    subquery); `EMAIL_STATE` turns it into the API's word. `offer_ref` names the offer's id in a
    queryset of something else about an offer (a K10 challenge's `offer_id`)."""
    # By name, not ContentType.get_for_model: building the queryset must not touch the database
    # (the API schema is generated without one).
    state = Notification.objects.filter(
        content_type__app_label="brokerage",
        content_type__model="offer",
        object_id=OuterRef(offer_ref),
        kind=NotificationKind.OFFER,
    ).values("state")[:1]
    return offers.annotate(offer_email_state=Subquery(state))


def notify_batch_branches(batch) -> list[int]:
    """L4: one e-mail per branch per reallocation batch, listing the packages offered to it in the
    batch (each with its deadline), recorded once per (batch, branch) like every other e-mail.

    A batch of 500 packages to ten branches is 5,000 lines: each package's words are made once
    (not once per branch), each deadline formatted once, each offer's link filled into one
    reversed URL, and the offers read as plain rows, so the template renders a list of lines
    per branch rather than resolving and formatting every field of every offer."""
    from .models import BatchBranch  # the batch's rows exist only once it is sent

    offers = (
        Offer.objects.filter(batch=batch)
        .order_by("branch_id", "package__reference")
        .values_list("pk", "branch_id", "package_id", "deadline")
    )
    by_branch: dict[int, list[tuple[int, int, datetime]]] = {}
    for pk, branch_id, package_id, deadline in offers:
        by_branch.setdefault(branch_id, []).append((pk, package_id, deadline))
    if not by_branch:
        return []
    packages = {
        p.pk: (
            f"Package {p.reference}: {p.ward.name}, {p.get_service_level_display()}, "
            f"{floatformat(p.hours_per_week, '-2')} hours a week, {p.call_pattern}."
        )
        for p in batch.packages.select_related("ward")
    }
    rows = BatchBranch.objects.filter(batch=batch, branch_id__in=by_branch).select_related("branch")
    base = settings.PORTAL_BASE_URL.rstrip("/")
    link = base + reverse("brokerage:batch", args=[batch.pk])
    offer_link = link_for("brokerage:offer", base)
    answer_by = formatted_once(lambda d: f"{d:%H:%M, %A %-d %B %Y}")
    messages = []
    for row in rows:
        mine = by_branch[row.branch_id]
        branch = row.branch
        first = timezone.localtime(min(deadline for _pk, _p, deadline in mine))
        lines = [
            f"{n}. {packages[package_id]} Answer by {answer_by(deadline)}: {offer_link(pk)}"
            for n, (pk, package_id, deadline) in enumerate(mine, start=1)
        ]
        messages.append(
            Outgoing(
                about=row,
                kind=NotificationKind.OFFER,
                to=[branch.notification_email],
                subject=(
                    f"{len(mine)} package{'s' if len(mine) != 1 else ''} of care to move in "
                    f"{batch.postcode_district}: answer by {first:%H:%M %a %-d %b}"
                ),
                body=render_to_string(
                    "brokerage/email/batch_offer.txt",
                    {"batch": batch, "branch": branch, "lines": lines, "link": link},
                ),
                provider_id=branch.provider_id,
                branch_id=branch.pk,
            )
        )
    return notifications_enqueue(messages)
