"""Every write to trusted reviews (R1–R3; STYLE 1): each owns its transaction, writes the audit
trail, and records its e-mail in the outbox. The outcome rule (R2) is `review_outcome`, the one
place the trusted-reviewer limit is applied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from brokerage.models import Package, PackageStatus
from brokerage.services import package_hours_change
from core.audit import audit_record
from core.errors import InvalidInput, NotAllowed, StateConflict
from notifications.models import NotificationKind
from notifications.outbox import Outgoing, notifications_enqueue
from providers.models import Provider, Role, User

from .models import TRUSTED_INCREASE_LIMIT, Review, ReviewOutcome, ReviewStatus
from .permissions import may_complete_reviews, may_delegate_reviews
from .selectors import packages_due

DEFAULT_DAYS_TO_COMPLETE = 28
MAX_HOURS = Decimal("168")


class ReviewError(StateConflict):
    """The review's or package's state forbids this (API 409 with this message)."""


def council_today(now: datetime | None = None) -> date:
    return timezone.localdate(now or timezone.now(), timezone.get_default_timezone())


def default_due_on(now: datetime | None = None) -> date:
    """R1: a delegated review is due four weeks from today unless the reviewer says otherwise."""
    return council_today(now) + timedelta(days=DEFAULT_DAYS_TO_COMPLETE)


# --- R2: the outcome rule ------------------------------------------------------------------------


def review_outcome(current: Decimal, proposed: Decimal, capacity_concern: bool) -> str:
    """R2: a mental-capacity concern, or an increase of more than 3.5 hours a week, goes back to
    adult social care for reassessment; an increase up to and including 3.5 hours is approved
    under the trusted-reviewer rule; otherwise a reduction or no change."""
    if capacity_concern:
        return ReviewOutcome.REASSESSMENT
    change = proposed - current
    if change > TRUSTED_INCREASE_LIMIT:
        return ReviewOutcome.REASSESSMENT
    if change > 0:
        return ReviewOutcome.INCREASE
    if change < 0:
        return ReviewOutcome.REDUCTION
    return ReviewOutcome.NO_CHANGE


def _h(value: Decimal) -> str:
    shown = format(Decimal(value).quantize(Decimal("0.01")).normalize(), "f")
    return f"{shown} {'hour' if Decimal(value) == 1 else 'hours'}"


def outcome_explanation(current: Decimal, proposed: Decimal, capacity_concern: bool) -> str:
    """R2: what submitting will do, in a sentence the provider reads before it submits."""
    outcome = review_outcome(current, proposed, capacity_concern)
    change = abs(proposed - current)
    if outcome == ReviewOutcome.REASSESSMENT:
        why = (
            "you have a concern about the person's mental capacity"
            if capacity_concern
            else f"the increase of {_h(change)} a week is more than the "
            f"{_h(TRUSTED_INCREASE_LIMIT)} a trusted reviewer may approve"
        )
        return (
            f"This review will be returned to adult social care for reassessment because {why}. "
            "The package's hours will not change."
        )
    if outcome == ReviewOutcome.INCREASE:
        return (
            f"This is an increase of {_h(change)} a week, within the {_h(TRUSTED_INCREASE_LIMIT)} "
            "a trusted reviewer may approve. When the council's reviewer signs it off, the "
            f"package's hours become {_h(proposed)} a week."
        )
    if outcome == ReviewOutcome.REDUCTION:
        return (
            f"This is a reduction of {_h(change)} a week. When the council's reviewer signs it "
            f"off, the package's hours become {_h(proposed)} a week."
        )
    return f"No change: the package stays at {_h(current)} a week."


# --- R1: delegation ------------------------------------------------------------------------------


def _check_due_on(due_on: date | None, now: datetime) -> date:
    if due_on is None:
        return default_due_on(now)
    if due_on < council_today(now):
        raise InvalidInput({"due_on": ["The date the review is due must be today or later"]})
    return due_on


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotAllowed(message)


@transaction.atomic
def review_delegate(
    *, actor: User, package: Package, due_on: date | None = None, now: datetime | None = None
) -> Review:
    """R1: delegate the review of an awarded package to the provider (and branch) holding it,
    due on `due_on` (four weeks from today when not given); the provider's organisation and the
    branch are e-mailed through the outbox. Raises ReviewError unless the package is awarded and
    has no review open; InvalidInput for a due date in the past."""
    _require(may_delegate_reviews(actor), "Only a reviewer can delegate a review.")
    now = now or timezone.now()
    due_on = _check_due_on(due_on, now)
    package = Package.objects.select_for_update().get(pk=package.pk)
    if package.status != PackageStatus.AWARDED:
        raise ReviewError(
            f"Package {package.reference} is {package.get_status_display().lower()}; only an "
            "awarded package's review can be delegated."
        )
    if package.reviews.filter(status__in=[ReviewStatus.DELEGATED, ReviewStatus.SUBMITTED]).exists():
        raise ReviewError(f"Package {package.reference}'s review has already been delegated.")
    holder = package.awarded_offer
    if holder is None:
        raise ReviewError(f"Package {package.reference} has no awarded offer to delegate to.")
    review = Review.objects.create(
        package=package,
        provider_id=holder.provider_id,
        branch_id=holder.branch_id,
        due_on=due_on,
        delegated_at=now,
        delegated_by=actor,
    )
    audit_record(
        actor=actor,
        action="review.delegated",
        obj=review,
        after={"package": package.reference, "branch": holder.branch_id, "due_on": str(due_on)},
    )
    notifications_enqueue([delegation_email(review)], now=now)
    return review


def review_delegate_due(
    *, actor: User, provider: Provider, due_on: date | None = None, now: datetime | None = None
) -> list[Review]:
    """R1: delegate the review of every package `provider` holds that is due one (a year after
    its award or its last review), all due on `due_on`. Returns the reviews delegated, oldest
    package first; none when nothing is due. All or nothing."""
    _require(may_delegate_reviews(actor), "Only a reviewer can delegate a review.")
    now = now or timezone.now()
    due_on = _check_due_on(due_on, now)
    with transaction.atomic():
        due = list(packages_due(council_today(now), provider=provider))
        return [review_delegate(actor=actor, package=p, due_on=due_on, now=now) for p in due]


def delegation_recipients(review: Review) -> list[str]:
    """R1: the provider's organisation (its contact and organisation users) and the branch that
    holds the package (its notification address)."""
    provider, branch = review.provider, review.branch
    org_users = User.objects.filter(provider=provider, role=Role.PROVIDER_ORG, is_active=True)
    emails = [provider.contact_email, *org_users.values_list("email", flat=True)]
    emails.append(branch.notification_email)
    return list(dict.fromkeys(e for e in emails if e))


def delegation_email(review: Review, moved_in_round: int | None = None) -> Outgoing:
    """The e-mail telling the provider a review is delegated to it, rendered now; or, given
    `moved_in_round`, that the review came with a package awarded to it in that round (L4: one
    e-mail a move, so a review that comes back to a provider tells it again)."""
    moved = moved_in_round is not None
    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse("reviews:review", args=[review.pk])
    context = {"review": review, "package": review.package, "link": link, "moved": moved}
    return Outgoing(
        about=review,
        kind=NotificationKind.REVIEW_MOVED if moved else NotificationKind.REVIEW_DELEGATION,
        to=delegation_recipients(review),
        subject=(
            f"Review of package {review.package.reference} delegated to you, "
            f"due {review.due_on:%-d %B %Y}"
        ),
        body=render_to_string("reviews/email/delegated.txt", context),
        provider_id=review.provider_id,
        branch_id=review.branch_id,
        occasion=moved_in_round,
    )


# --- R2: the provider submits -------------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    """The review form's answers, checked: hours as Decimals, the outcome they lead to."""

    current_hours: Decimal
    proposed_hours: Decimal
    outcomes: str
    capacity_concern: bool

    @property
    def outcome(self) -> str:
        return review_outcome(self.current_hours, self.proposed_hours, self.capacity_concern)

    @property
    def explanation(self) -> str:
        return outcome_explanation(self.current_hours, self.proposed_hours, self.capacity_concern)


def _hours(value, field: str, errors: dict) -> Decimal | None:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = ["Enter hours a week as a number, like 10 or 7.5"]
        return None
    if hours < 0 or hours > MAX_HOURS:
        errors[field] = ["Hours a week must be between 0 and 168"]
        return None
    return hours


def review_answers(
    review: Review,
    *,
    current_hours=None,
    proposed_hours=None,
    outcomes: str = "",
    capacity_concern: bool = False,
) -> Answers:
    """Check the review form's answers (R2); raises InvalidInput with every field's problem.

    The current hours are the package's own (prefilled on the form): any other figure is refused,
    so the 3.5-hour rule is always measured from the hours the council commissioned."""
    errors: dict[str, list[str]] = {}
    package_hours = review.package.hours_per_week
    current = (
        package_hours
        if current_hours in (None, "")
        else _hours(current_hours, "current_hours", errors)
    )
    if current is not None and current != package_hours:
        errors["current_hours"] = [
            f"The current hours are the package's: {_h(package_hours)} a week"
        ]
    proposed = None
    if proposed_hours in (None, ""):
        errors["proposed_hours"] = ["Enter the hours a week you propose"]
    else:
        proposed = _hours(proposed_hours, "proposed_hours", errors)
    if not (outcomes or "").strip():
        errors["outcomes"] = ["Enter the review's outcomes"]
    if errors:
        raise InvalidInput(errors)
    return Answers(package_hours, proposed, outcomes.strip(), bool(capacity_concern))


@transaction.atomic
def review_submit(
    *, actor: User, review: Review, answers: Answers, now: datetime | None = None
) -> Review:
    """R2: the provider submits the review form once. A reassessment outcome returns the review to
    adult social care at once (status `returned`); any other awaits the reviewer's sign-off.
    Raises ReviewError when already submitted."""
    _require(
        may_complete_reviews(actor), "Only the provider holding the package completes its review."
    )
    now = now or timezone.now()
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.status != ReviewStatus.DELEGATED:
        raise ReviewError("This review has already been submitted.")
    outcome = answers.outcome
    review.current_hours = answers.current_hours
    review.proposed_hours = answers.proposed_hours
    review.outcomes = answers.outcomes
    review.capacity_concern = answers.capacity_concern
    review.outcome = outcome
    review.status = (
        ReviewStatus.RETURNED if outcome == ReviewOutcome.REASSESSMENT else ReviewStatus.SUBMITTED
    )
    review.submitted_at = now
    review.submitted_by = actor
    review.save()
    audit_record(
        actor=actor,
        action=f"review.{review.status}",
        obj=review,
        before={"status": ReviewStatus.DELEGATED},
        after={
            "status": review.status,
            "outcome": outcome,
            "current_hours": str(answers.current_hours),
            "proposed_hours": str(answers.proposed_hours),
            "capacity_concern": answers.capacity_concern,
        },
    )
    return review


# --- R3: the reviewer signs off -----------------------------------------------------------------


@transaction.atomic
def review_sign_off(*, actor: User, review: Review, now: datetime | None = None) -> Review:
    """R3: the reviewer signs off a submitted review, exactly once even when two press at once
    (the review row is locked while deciding; a review changes hours once, by a unique
    constraint). A reduction or an increase sets the package's hours to the proposed hours from
    today, with history. Raises ReviewError for a review not submitted (a returned one included)."""
    _require(may_delegate_reviews(actor), "Only a reviewer can sign off a review.")
    now = now or timezone.now()
    review = Review.objects.select_for_update().select_related("package").get(pk=review.pk)
    if review.status == ReviewStatus.RETURNED:
        raise ReviewError(
            "This review was returned to adult social care for reassessment; it cannot be "
            "signed off."
        )
    if review.status == ReviewStatus.SIGNED_OFF:
        raise ReviewError("This review has already been signed off.")
    if review.status != ReviewStatus.SUBMITTED:
        raise ReviewError("The provider has not submitted this review yet.")
    if review.outcome in (ReviewOutcome.REDUCTION, ReviewOutcome.INCREASE):
        package_hours_change(
            actor=actor,
            package=review.package,
            hours=review.proposed_hours,
            reason=f"Review {review.pk} signed off: {review.get_outcome_display().lower()}",
            source=review,
            now=now,
        )
    review.status = ReviewStatus.SIGNED_OFF
    review.signed_off_at = now
    review.signed_off_by = actor
    review.save(update_fields=["status", "signed_off_at", "signed_off_by"])
    audit_record(
        actor=actor,
        action="review.signed_off",
        obj=review,
        before={"status": ReviewStatus.SUBMITTED},
        after={"status": ReviewStatus.SIGNED_OFF, "outcome": review.outcome},
    )
    return review


# --- L4: a moved package's open review follows its current provider -----------------------------


@transaction.atomic
def reviews_follow_holder(
    *, actor: User | None, package: Package, now: datetime | None = None
) -> list[Review]:
    """L4, R1: once a package that moved is awarded in its new round, its open review (delegated,
    or submitted and not yet signed off) goes to the provider and branch now holding it, due on
    the same day, as a review to complete: the provider it moved from no longer sees it (A1),
    and answers it submitted are cleared from the review (kept in the audit record's `before`)
    because the new provider reviews the care it now gives, and is e-mailed as for a delegation
    (saying the review came with the package; once per review: should it move again while still
    open, the third provider finds it on its reviews page). Called by the award in the same transaction;
    returns the reviews moved (none when the holder did not change)."""
    now = now or timezone.now()
    holder = package.awarded_offer
    if holder is None:
        return []
    moved = []
    open_reviews = Review.objects.select_for_update().filter(
        package=package, status__in=[ReviewStatus.DELEGATED, ReviewStatus.SUBMITTED]
    )
    for review in open_reviews.exclude(provider_id=holder.provider_id):
        before = {
            "provider": review.provider_id,
            "branch": review.branch_id,
            "status": review.status,
            "outcome": review.outcome,
            "current_hours": None if review.current_hours is None else str(review.current_hours),
            "proposed_hours": None if review.proposed_hours is None else str(review.proposed_hours),
            "outcomes": review.outcomes,
            "capacity_concern": review.capacity_concern,
        }
        review.provider_id, review.branch_id = holder.provider_id, holder.branch_id
        review.status, review.outcome = ReviewStatus.DELEGATED, None
        review.current_hours = review.proposed_hours = None
        review.outcomes, review.capacity_concern = "", False
        review.submitted_at = review.submitted_by = None
        review.save()
        audit_record(
            actor=actor,
            action="review.moved",
            obj=review,
            before=before,
            after={
                "provider": holder.provider_id,
                "branch": holder.branch_id,
                "status": "delegated",
            },
            reason=f"Package {package.reference} moved: awarded in round {holder.round}",
        )
        moved.append(review)
    notifications_enqueue(
        [delegation_email(r, moved_in_round=holder.round) for r in moved], now=now
    )
    return moved
