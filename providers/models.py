"""Providers on the PDPS, their branches, and the portal's users with their roles (SPEC A1-A3)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    PROVIDER_ORG = "provider_org", "Provider (organisation)"
    PROVIDER_BRANCH = "provider_branch", "Provider (branch)"
    NAVIGATOR = "navigator", "Care navigator"
    CONTRACT_MANAGER = "contract_manager", "Contract manager"
    REVIEWER = "reviewer", "Reviewer"
    ADMIN = "admin", "Administrator"


PROVIDER_ROLES = frozenset({Role.PROVIDER_ORG, Role.PROVIDER_BRANCH})
COUNCIL_ROLES = frozenset({Role.NAVIGATOR, Role.CONTRACT_MANAGER, Role.REVIEWER, Role.ADMIN})


class PdpsStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    LEFT = "left", "Left the PDPS"


class CqcRating(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"
    NOT_RATED = "not_rated", "Not yet rated"


def _no_user_scope(user) -> bool:
    return user is None or not user.is_authenticated or not user.is_active


def held_by_branch(queryset: models.QuerySet, user) -> models.QuerySet:
    """A1 for records a provider's branch holds (offers, claims, reviews: each with `provider`
    and `branch`): council staff see them all; a branch user its branch's; an organisation user
    its provider's, every branch; anyone else none."""
    if _no_user_scope(user):
        return queryset.none()
    if user.is_council:
        return queryset
    if user.role == Role.PROVIDER_BRANCH:
        return queryset.filter(branch_id=user.branch_id) if user.branch_id else queryset.none()
    if user.role == Role.PROVIDER_ORG and user.provider_id:
        return queryset.filter(provider_id=user.provider_id)
    return queryset.none()


class ProviderQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProviderQuerySet:
        """Council staff see every provider; a provider user only its own (A1)."""
        if _no_user_scope(user):
            return self.none()
        if user.is_council:
            return self
        if user.provider_id is None:
            return self.none()
        return self.filter(pk=user.provider_id)

    def on_framework(self) -> ProviderQuerySet:
        return self.filter(pdps_status=PdpsStatus.ACTIVE)


class Provider(models.Model):
    ref = models.CharField("provider reference", max_length=32, unique=True)
    name = models.CharField(max_length=200)
    pdps_status = models.CharField(
        "PDPS status", max_length=16, choices=PdpsStatus.choices, default=PdpsStatus.ACTIVE
    )
    cqc_rating = models.CharField(
        "CQC rating", max_length=24, choices=CqcRating.choices, default=CqcRating.GOOD
    )
    joined_on = models.DateField("joined the PDPS on", default=timezone.localdate)
    senior_manager_name = models.CharField(max_length=200, blank=True)
    senior_manager_email = models.EmailField(blank=True)
    contact_email = models.EmailField(blank=True)

    objects = ProviderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BranchQuerySet(models.QuerySet):
    def visible_to(self, user) -> BranchQuerySet:
        """Council staff see every branch; an organisation user its provider's; a branch user its own."""
        if _no_user_scope(user):
            return self.none()
        if user.is_council:
            return self
        if user.role == Role.PROVIDER_BRANCH:
            return self.filter(pk=user.branch_id) if user.branch_id else self.none()
        if user.provider_id is None:
            return self.none()
        return self.filter(provider_id=user.provider_id)

    def receiving_offers(self) -> BranchQuerySet:
        """Active branches of providers active on the PDPS (P4)."""
        return self.filter(is_active=True, provider__pdps_status=PdpsStatus.ACTIVE)


class Branch(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="branches")
    ref = models.CharField("branch reference", max_length=32)
    name = models.CharField(max_length=200)
    notification_email = models.EmailField(blank=True)
    is_active = models.BooleanField("active", default=True)

    objects = BranchQuerySet.as_manager()

    class Meta:
        ordering = ["provider__name", "name"]
        verbose_name_plural = "branches"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "ref"],
                name="branch_ref_unique_per_provider",
                violation_error_message="This provider already has a branch with that reference.",
            ),
            # What an offer's one foreign key to its branch and provider refers to, on
            # PostgreSQL (brokerage migration 0026): an offer's provider is its branch's.
            models.UniqueConstraint(
                fields=["id", "provider"],
                name="branch_with_provider",
                violation_error_message="A branch belongs to one provider.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider.name} – {self.name}"


class PortalUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A portal user. Provider users belong to a provider; branch users also to one of its branches."""

    role = models.CharField(max_length=24, choices=Role.choices)
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )

    objects = PortalUserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role__in=sorted(PROVIDER_ROLES), provider__isnull=False)
                    | Q(role__in=sorted(COUNCIL_ROLES), provider__isnull=True)
                ),
                name="user_provider_matches_role",
                violation_error_message="Provider users need a provider; council users have none.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(role=Role.PROVIDER_BRANCH, branch__isnull=False)
                    | (~Q(role=Role.PROVIDER_BRANCH) & Q(branch__isnull=True))
                ),
                name="user_branch_matches_role",
                violation_error_message="Branch users need a branch; other users have none.",
            ),
        ]

    @property
    def is_council(self) -> bool:
        return self.role in COUNCIL_ROLES or self.is_superuser

    @property
    def is_provider_user(self) -> bool:
        return self.role in PROVIDER_ROLES and not self.is_superuser

    def has_role(self, *roles: str) -> bool:
        """True for any of `roles`; administrators may do everything."""
        return self.role in roles or self.role == Role.ADMIN or self.is_superuser
