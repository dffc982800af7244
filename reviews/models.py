"""Trusted reviews (R1–R3): a reviewer delegates an awarded package's review to the provider holding
it; the provider completes the form; the reviewer signs it off, or it goes back to adult social care
for reassessment."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils import timezone

from brokerage.models import Package
from providers.models import Branch, Provider, held_by_branch

# R2, the trusted-reviewer rule: an increase up to and including this many hours a week is approved.
TRUSTED_INCREASE_LIMIT = Decimal("3.5")


class ReviewStatus(models.TextChoices):
    DELEGATED = "delegated", "Delegated"
    SUBMITTED = "submitted", "Submitted"
    SIGNED_OFF = "signed_off", "Signed off"
    RETURNED = "returned", "Returned to adult social care"


OPEN_STATUSES = (ReviewStatus.DELEGATED, ReviewStatus.SUBMITTED)


class ReviewOutcome(models.TextChoices):
    NO_CHANGE = "no_change", "No change"
    REDUCTION = "reduction", "Reduction"
    INCREASE = "increase", "Increase up to 3.5 hours a week"
    REASSESSMENT = "reassessment", "Returned for reassessment"


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReviewQuerySet:
        """A1: council staff see every review; an organisation user its provider's; a branch user
        those of the packages its branch holds. Nobody else sees any."""
        return held_by_branch(self, user)

    def overdue_first(self, today) -> ReviewQuerySet:
        """Open reviews past their due date first, then by due date (R1)."""
        return self.annotate(
            late=models.Case(
                models.When(Q(status__in=OPEN_STATUSES, due_on__lt=today), then=0),
                default=1,
                output_field=models.IntegerField(),
            )
        ).order_by("late", "due_on", "id")


class Review(models.Model):
    """One delegated review of one package, to the provider (and branch) holding it then."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="reviews")
    # The holder when delegated: scoping (A1) and the e-mail need no join through the offers.
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="reviews")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="reviews")
    status = models.CharField(
        max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.DELEGATED
    )
    outcome = models.CharField(max_length=12, choices=ReviewOutcome.choices, null=True, blank=True)
    due_on = models.DateField()
    delegated_at = models.DateTimeField()
    delegated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    current_hours = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    proposed_hours = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    outcomes = models.TextField(
        blank=True, help_text="The review's outcomes, as the provider wrote them."
    )
    capacity_concern = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    emails = GenericRelation("notifications.Notification", related_query_name="review")

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["package"],
                condition=Q(status__in=["delegated", "submitted"]),
                name="one_open_review_per_package",
                violation_error_message="This package's review has already been delegated.",
            ),
            models.CheckConstraint(
                condition=Q(status="delegated", outcome__isnull=True)
                | (~Q(status="delegated") & Q(outcome__isnull=False)),
                name="review_outcome_once_submitted",
                violation_error_message="A review has an outcome once, and only once, submitted.",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "status", "due_on"]),
            models.Index(fields=["branch", "status", "due_on"]),
            models.Index(fields=["status", "outcome"]),
        ]

    def __str__(self) -> str:
        return f"Review of {self.package} due {self.due_on:%d %B %Y}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.due_on < today
