"""The append-only audit trail (I4): who, when, what, before and after."""

from django.conf import settings
from django.db import models


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: D102 - the trail is append-only
        raise PermissionError("The audit trail is append-only")

    def delete(self):
        raise PermissionError("The audit trail is append-only")


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too, so the record survives the user being removed; "system" for scheduled jobs.
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit trail is append-only")


class PortalSettings(models.Model):
    """The rules' numbers that administrators change without a deploy (one row).

    Times of the scheduled jobs themselves live in django-celery-beat's schedules (P3).
    """

    standard_deadline_hours = models.PositiveIntegerField(
        default=72, help_text="P6: hours a branch has to answer a standard package (3 days)."
    )
    urgent_deadline_hours = models.PositiveIntegerField(
        default=24, help_text="P6: hours a branch has to answer an urgent package."
    )
    reminder_hours_standard = models.PositiveIntegerField(
        default=24,
        help_text="P10: hours before its deadline an unanswered standard offer is reminded.",
    )
    reminder_hours_urgent = models.PositiveIntegerField(
        default=4,
        help_text="P10: hours before its deadline an unanswered urgent offer is reminded.",
    )
    deadline_warning_hours = models.PositiveIntegerField(
        default=12, help_text="Warn branches in their inbox when this little time is left."
    )
    kpi_exclude_urgent = models.BooleanField(
        default=False, help_text="K1: leave urgent packages out of response rates."
    )
    response_rate_target = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=0.95,
        help_text="K1/K2: the market target and the low-risk threshold.",
    )
    medium_risk_floor = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=0.80,
        help_text="K2: below this a provider is high risk.",
    )

    # L1: the weights of the decision matrix's four parts (equal by default; 0 leaves a part out).
    weight_response_rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=1,
        help_text="L1: weight of the response rate (rolling 90-day K1) in the shortlist score.",
    )
    weight_quality = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=1,
        help_text="L1: weight of quality (the CQC rating) in the shortlist score.",
    )
    weight_market_share = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=1,
        help_text="L1: weight of market share (weekly hours already held) in the shortlist score.",
    )
    weight_start = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=1,
        help_text="L1: weight of the offered start date in the shortlist score.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "portal settings"

    def __str__(self) -> str:
        return "Portal settings"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "PortalSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class JobRun(models.Model):
    """The last time each scheduled job ran, so administrators can see the scheduler is alive."""

    name = models.CharField(max_length=100, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_as_of = models.DateTimeField(null=True, blank=True)
    last_summary = models.CharField(max_length=500, blank=True)
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FiguresVersion(models.Model):
    """SQLite's home of `core.changes`' number (one row; PostgreSQL uses a sequence)."""

    n = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"figures version {self.n}"
