"""KPI records (K5-K10): settings the contract manager changes, returns, triggers, risk profiles,
action plans and challenges of a No Response. Response rates have no table: they are computed from
brokerage's offers (less those an upheld challenge left out, K10)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from brokerage.models import Offer
from providers.models import Provider

from .quarters import Quarter


def quarter_code(value: str) -> None:
    """A financial quarter the portal can read back (Quarter.parse: its form and year range)."""
    try:
        Quarter.parse(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _quarter_field(**kwargs) -> models.CharField:
    return models.CharField(max_length=10, validators=[quarter_code], **kwargs)


class KpiSettings(models.Model):
    """The KPI rules' numbers (one row) that contract managers and administrators change."""

    return_due_days = models.PositiveSmallIntegerField(
        default=15, help_text="K6: days after a quarter ends that its return is due."
    )
    late_start_minutes = models.PositiveSmallIntegerField(
        default=30, help_text="K5: a visit starting more than this after plan is late."
    )
    travel_allowance_minutes = models.PositiveSmallIntegerField(
        default=10, help_text="K5: a visit may be this much shorter than planned and still comply."
    )
    hourly_rate = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        default=Decimal("23.50"),
        help_text="K8: the framework hourly rate (£) used for weekly spend.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "KPI settings"

    def __str__(self) -> str:
        return "KPI settings"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> KpiSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class DiscountedQuarter(models.Model):
    """K6: a quarter for which no return is owed and no trigger raised (e.g. reporting problems)."""

    quarter = _quarter_field(unique=True)
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["quarter"]

    def __str__(self) -> str:
        return f"{self.quarter} discounted"


class FirstDueQuarter(models.Model):
    """K6: overrides the first quarter a provider owes a return (default: first full quarter
    after it joined the PDPS)."""

    provider = models.OneToOneField(
        Provider, on_delete=models.CASCADE, related_name="kpi_first_due"
    )
    quarter = _quarter_field()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["provider__name"]
        verbose_name = "first due quarter override"

    def __str__(self) -> str:
        return f"{self.provider} first owes {self.quarter}"


class ProviderRecordQuerySet(models.QuerySet):
    """Records of one provider each (returns, triggers), scoped as their providers are."""

    def visible_to(self, user) -> ProviderRecordQuerySet:
        """Council staff see every provider's records; a provider user its own provider's (A1)."""
        return self.filter(provider__in=Provider.objects.visible_to(user))


class KpiReturn(models.Model):
    """A provider's quarterly return (K5): the figures computed from its uploaded visit file."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="kpi_returns")
    quarter = _quarter_field()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=255, blank=True)
    late = models.BooleanField(help_text="Submitted after the due date (K6).")
    visits = models.PositiveIntegerField()
    delivered = models.PositiveIntegerField()
    missed = models.PositiveIntegerField()
    late_starts = models.PositiveIntegerField()
    length_compliant = models.PositiveIntegerField()
    length_compliance = models.DecimalField(
        max_digits=5, decimal_places=4, null=True, blank=True, help_text="compliant ÷ delivered"
    )

    objects = ProviderRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-quarter", "provider__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "quarter"],
                name="one_kpi_return_per_provider_quarter",
                violation_error_message="This provider has already made its return for this quarter.",
            ),
            models.CheckConstraint(
                condition=Q(visits=models.F("delivered") + models.F("missed")),
                name="kpi_return_visits_add_up",
                violation_error_message="Visits must equal delivered plus missed.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} return for {self.quarter}"

    @property
    def quarter_obj(self) -> Quarter:
        return Quarter.parse(self.quarter)


class UploadState(models.TextChoices):
    QUEUED = "queued", "Waiting to be read"
    READING = "reading", "Being read"
    RECEIVED = "received", "Received"
    REFUSED = "refused", "Not accepted"


class KpiReturnUpload(models.Model):
    """A visit file too big to read in the web request (K5), read by a Celery task: its state,
    how many rows have been read, then the return made or the file's row errors."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    quarter = _quarter_field()
    submitted_at = models.DateTimeField(help_text="When it was uploaded: lateness is judged then.")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField()
    # The file itself, kept in the database so that any worker can read it (no shared disk); emptied
    # once it has been read.
    content = models.BinaryField(editable=False)
    state = models.CharField(max_length=10, choices=UploadState.choices, default=UploadState.QUEUED)
    rows_read = models.PositiveIntegerField(default=0)
    kpi_return = models.OneToOneField(
        KpiReturn, null=True, blank=True, on_delete=models.PROTECT, related_name="upload"
    )
    errors = models.JSONField(default=list, blank=True, help_text="API.md's rows: [{row, errors}]")
    error_count = models.PositiveIntegerField(default=0)
    bad_rows = models.PositiveIntegerField(default=0)
    detail = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ProviderRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.provider} upload for {self.quarter} ({self.get_state_display()})"

    @property
    def finished(self) -> bool:
        return self.state in (UploadState.RECEIVED, UploadState.REFUSED)


class TriggerLevel(models.IntegerChoices):
    REMINDER = 1, "Reminder to the provider"
    SENIOR_MANAGER = 2, "Reminder to the senior manager"
    LEGAL = 3, "Flagged for legal advice on a breach notice"


class KpiTrigger(models.Model):
    """K7: one late or missing return. `level` is the provider's count since its last reset (1-3)."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="kpi_triggers")
    quarter = _quarter_field()
    level = models.PositiveSmallIntegerField(
        choices=TriggerLevel.choices, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    missing = models.BooleanField(help_text="No return at all by the due date (else a late one).")
    created_at = models.DateTimeField()
    as_of = models.DateTimeField(help_text="The moment the escalation ran for.")
    reset = models.ForeignKey(
        "TriggerReset",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="triggers",
        help_text="The reset that cleared this trigger from the count.",
    )

    objects = ProviderRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "quarter"],
                name="one_kpi_trigger_per_provider_quarter",
                violation_error_message="This provider already has a trigger for this quarter.",
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=3),
                name="kpi_trigger_level_1_to_3",
                violation_error_message="A trigger's level is 1, 2 or 3.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} trigger {self.level} ({self.quarter})"


class TriggerReset(models.Model):
    """K7: a contract manager resets a provider's trigger count, with a reason."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="kpi_resets")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Reset of {self.provider} at {self.at:%Y-%m-%d}"


class RiskLevel(models.TextChoices):
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class RiskProfile(models.Model):
    """K9: the council's view of a medium- or high-risk provider. Council eyes only (A2)."""

    provider = models.OneToOneField(Provider, on_delete=models.PROTECT, related_name="risk_profile")
    level = models.CharField(max_length=8, choices=RiskLevel.choices)
    summary = models.TextField(help_text="Why the provider is at risk: the evidence.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["provider__name"]

    def __str__(self) -> str:
        return f"{self.provider}: {self.get_level_display()} risk"


class ActionPlanStatus(models.TextChoices):
    OPEN = "open", "Open"
    MET = "met", "Met"
    NOT_MET = "not_met", "Not met"


class ActionPlan(models.Model):
    """K9: a KPI action plan agreed for an at-risk provider. Council eyes only (A2)."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="action_plans")
    action = models.TextField(help_text="What must improve, and how it will be measured.")
    due_on = models.DateField()
    status = models.CharField(
        max_length=8, choices=ActionPlanStatus.choices, default=ActionPlanStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"Action plan for {self.provider} due {self.due_on}"


class ChallengeStatus(models.TextChoices):
    OPEN = "open", "Awaiting decision"
    UPHELD = "upheld", "Upheld"
    REJECTED = "rejected", "Rejected"


class ChallengeQuerySet(models.QuerySet):
    def visible_to(self, user) -> ChallengeQuerySet:
        """A1, as the offers they are about: council all; organisation users their provider's;
        branch users their branch's."""
        return self.filter(offer__in=Offer.objects.visible_to(user))


def upheld_challenge(offer: str = "pk") -> models.ExpressionWrapper:
    """K10 over an offers queryset (or the offers reached through `offer`, the path to an
    offer's id): whether the offer's challenge was upheld (a subquery, not a join, so a row lock
    on the offers stays on them alone). The kept response counts and ward health read it
    (`brokerage.counts.Exclusion`).

    The offer's id IN the upheld challenges' offers, not a correlated EXISTS: PostgreSQL reads the
    few upheld challenges once into a hash, whatever its statistics say. Correlated, once the
    empty challenges table had been analysed, it was run again for every offer of a count's FILTER
    (ward health's districts: 1.6 million runs for 400,000 offers, 1.8 of 2.1 s at 2M)."""
    upheld = Challenge.objects.filter(status=ChallengeStatus.UPHELD).values("offer_id")
    return models.ExpressionWrapper(
        models.Q(**{f"{offer}__in": upheld}), output_field=models.BooleanField()
    )


class Challenge(models.Model):
    """K10, the right of reply: the offer's provider challenges its No Response with a reason; a
    contract manager upholds or rejects it with a comment. An upheld challenge leaves the offer out
    of K1 for its provider (`kpi/selectors.py` counts it as excluded after challenge); nothing is
    deleted. One per offer (the one-to-one is the do-once backstop), decided once.

    It lives in kpi, above brokerage: kpi reads the offer; brokerage never imports kpi (its pages
    show a challenge through a kpi template tag)."""

    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="challenge")
    quarter = _quarter_field(help_text="The quarter the offer was sent in: K1 counts it there.")
    reason = models.TextField()
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    made_at = models.DateTimeField()
    status = models.CharField(
        max_length=8, choices=ChallengeStatus.choices, default=ChallengeStatus.OPEN
    )
    comment = models.TextField(
        blank=True, help_text="The contract manager's reason for the decision."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # The provider's K1 rate for `quarter` just before and just after the decision (None: no
    # offers counted), so the provider sees what the decision changed.
    rate_before = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    rate_after = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)

    objects = ChallengeQuerySet.as_manager()

    class Meta:
        ordering = ["made_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", decided_at__isnull=True)
                | (~Q(status="open") & Q(decided_at__isnull=False)),
                name="kpi_challenge_decided_has_time",
                violation_error_message="A decided challenge has the time it was decided, an open one none.",
            ),
        ]
        indexes = [models.Index(fields=["status", "made_at"])]

    def __str__(self) -> str:
        return f"Challenge of offer {self.offer_id} ({self.get_status_display()})"

    @property
    def excluded(self) -> bool:
        """Left out of K1 ("excluded after challenge")."""
        return self.status == ChallengeStatus.UPHELD
