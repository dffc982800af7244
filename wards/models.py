"""Wards (W1), branch coverage and the numbered ward register (W2)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from providers.models import Branch, Role

ward_code_validator = RegexValidator(
    r"^[EWSN]\d{8}$", "A ward code is an ONS code: a letter and eight digits, such as E05012345."
)


class Ward(models.Model):
    code = models.CharField(
        "ONS ward code", max_length=9, unique=True, validators=[ward_code_validator]
    )
    name = models.CharField(max_length=200)
    district = models.CharField(max_length=100, db_index=True)

    class Meta:
        ordering = ["district", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.district})"


class RegisterVersion(models.Model):
    """A published version of the ward register. Version 0 is the empty register before any import."""

    number = models.PositiveIntegerField(unique=True)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    added = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"v{self.number}"


class CoverageQuerySet(models.QuerySet):
    def visible_to(self, user) -> CoverageQuerySet:
        """Coverage of the branches the user may see (A1): council all, provider users their own."""
        return self.filter(branch__in=Branch.objects.visible_to(user))

    def in_force(self, at=None) -> CoverageQuerySet:
        """Coverage in force at moment `at` (now when None)."""
        if at is None:
            return self.filter(ended_at__isnull=True)
        return self.filter(Q(started_at__lte=at), Q(ended_at__isnull=True) | Q(ended_at__gt=at))

    def in_version(self, number: int) -> CoverageQuerySet:
        """The branch-ward pairs of register version `number`."""
        return self.filter(
            Q(added_in__lte=number), Q(removed_in__isnull=True) | Q(removed_in__gt=number)
        )


class Coverage(models.Model):
    """A branch covers a ward from `started_at` until `ended_at` (open while it is in force)."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="coverage")
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="coverage")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    added_in = models.PositiveIntegerField("added in register version")
    removed_in = models.PositiveIntegerField("removed in register version", null=True, blank=True)

    objects = CoverageQuerySet.as_manager()

    class Meta:
        ordering = ["ward__district", "ward__name"]
        verbose_name_plural = "coverage"
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "ward"],
                condition=Q(ended_at__isnull=True),
                name="one_open_coverage_per_branch_ward",
                violation_error_message="This branch already covers this ward.",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="coverage_ends_after_it_starts",
                violation_error_message="Coverage cannot end before it starts.",
            ),
        ]
        indexes = [models.Index(fields=["ward", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.branch} covers {self.ward}"


class WardRequestAction(models.TextChoices):
    ADD = "add", "Add"
    REMOVE = "remove", "Remove"


class WardRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class WardRequestQuerySet(models.QuerySet):
    def visible_to(self, user) -> WardRequestQuerySet:
        """The one scoping entry point for ward requests (A1): council all; organisation users
        their provider's branches'; branch users their own branch's."""
        return self.filter(branch__in=Branch.objects.visible_to(user))

    def pending(self) -> WardRequestQuerySet:
        return self.filter(status=WardRequestStatus.PENDING)


class WardRequest(models.Model):
    """A provider's request to add a ward to, or remove one from, a branch's coverage (W3).

    Coverage changes only when a contract manager approves; the approval links the register
    version it published."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="ward_requests")
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="requests")
    action = models.CharField(max_length=8, choices=WardRequestAction.choices)
    reason = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=WardRequestStatus.choices, default=WardRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    version = models.ForeignKey(
        RegisterVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ward_requests",
        help_text="The register version the approval published.",
    )

    objects = WardRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "ward", "action"],
                condition=Q(status="pending"),
                name="one_pending_ward_request_per_branch_ward_action",
                violation_error_message="This branch already has a pending request for this ward.",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="ward_request_decided_unless_pending",
                violation_error_message="A decided request needs the moment it was decided.",
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return (
            f"Request {self.pk}: {self.get_action_display().lower()} {self.ward} for {self.branch}"
        )


__all__ = [
    "Coverage",
    "RegisterVersion",
    "Role",
    "Ward",
    "WardRequest",
    "WardRequestAction",
    "WardRequestStatus",
]
