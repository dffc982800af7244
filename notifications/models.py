"""The outbox (P7, P10, K7; STYLE 19): one row per e-mail the portal sends, of every kind.

It lives in its own small app just above `providers` (core → providers → notifications → wards →
brokerage → kpi): in `core` it could not have a ForeignKey to the provider and branch an e-mail went
to, which is what scopes it (A1). The object an e-mail is about (an offer, a KPI trigger, later a
reminder's offer, a review, a challenge) is a generic relation, since those live in higher apps.

django-post-office is not used underneath: its `Email` rows have no link to the object they are about
and no unique key per (object, kind), so a second distribution or a redelivered task would queue a
second e-mail; and it keeps two senders apart with one lock over the whole queue (a file lock or a
named database lock), not a per-row claim. Those two are the do-once guarantees the portal needs,
so the outbox keeps them itself in a few lines (STYLE 5) and sends with Django's mail backend.
"""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Case, F, Q, When

from providers.models import Branch, Provider, Role


class NotificationKind(models.TextChoices):
    OFFER = "offer", "New package offered"
    AWARDED = "awarded", "Package awarded to you"
    NOT_AWARDED = "not_awarded", "Package not awarded to you"
    WITHDRAWN = "withdrawn", "Package withdrawn"
    REMINDER = "reminder", "Reminder: offer not yet answered"
    TRIGGER = "trigger", "KPI trigger"
    REVIEW_DELEGATION = "review_delegation", "Review delegated"
    REVIEW_MOVED = "review_moved", "Review moved to you with its package"
    CHALLENGE_DECISION = "challenge_decision", "Challenge decided"
    PASSWORD_RESET = "password_reset", "Password reset link"


# Kinds whose body holds a secret (a sign-in link): listed to nobody, cleared once sent.
SECRET_KINDS = frozenset({NotificationKind.PASSWORD_RESET})


class NotificationState(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, will retry"
    GAVE_UP = "gave_up", "Failed"


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user) -> NotificationQuerySet:
        """A1: council staff see every e-mail; an organisation user those sent to its provider or
        any of its branches; a branch user those sent to its branch. Nobody else sees any."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        rows = self.exclude(kind__in=SECRET_KINDS)  # a reset link is for its addressee alone
        if user.is_council:
            return rows
        if user.role == Role.PROVIDER_BRANCH:
            return rows.filter(branch_id=user.branch_id) if user.branch_id else rows.none()
        if user.provider_id is None:
            return rows.none()
        return rows.filter(provider_id=user.provider_id)

    def about(self, app_label: str, model: str, object_id: int | None = None):
        """The e-mails about objects of one model (and one object, given its id)."""
        ct = ContentType.objects.get_by_natural_key(app_label, model)
        rows = self.filter(content_type=ct)
        return rows if object_id is None else rows.filter(object_id=object_id)


class Notification(models.Model):
    """One e-mail. The unique (object, kind) row is the sent-marker: recording it twice records it
    once, and the sender claims it with a conditional update, so no e-mail goes out twice (P5, P7).

    Subject and body are rendered when the row is recorded, so a retry sends what was meant then.
    `to_email` holds the addresses, comma-separated (a KPI trigger goes to several at once).
    """

    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    # Issue 13, goal 3: the three foreign keys have no index of their own; the unique (content
    # type, object, kind) and the (branch, created_at), (provider, created_at) indexes lead with
    # them, so every lookup by one uses those, and a fan-out writes three index entries fewer.
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    object_id = models.PositiveBigIntegerField()
    about = GenericForeignKey("content_type", "object_id")
    # Whom it was sent to, for scoping (A1): a branch's e-mails carry its provider too; an e-mail
    # to the council (a third KPI trigger) carries neither.
    provider = models.ForeignKey(
        Provider,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
        db_index=False,
    )
    branch = models.ForeignKey(
        Branch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
        db_index=False,
    )
    # On PostgreSQL two foreign keys check whom it went to (migration 0008): (branch, provider) to
    # the branch's (id, provider) when it went to a branch, and this column, its provider when it
    # went to none (NULL otherwise, which a foreign key passes at once), to the provider. An offer
    # e-mail pays one check where a key on each column paid two (issue 13, goal 3).
    provider_without_branch = models.GeneratedField(
        expression=Case(When(branch__isnull=True, then=F("provider"))),
        output_field=models.BigIntegerField(null=True),
        db_persist=True,
    )
    # Which time this kind of e-mail about the object it is, for a kind that can happen to it more
    # than once: a review moved with its package (L4) is told in each award round that moves it,
    # the round here (A -> B -> A -> B is three e-mails). Empty for a kind that happens once.
    occasion = models.PositiveIntegerField(null=True, blank=True)
    to_email = models.CharField("to", max_length=1000, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    state = models.CharField(
        max_length=8, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    # When it was last handed to the broker for a worker; empty while the broker could not take it
    # (down at commit), so the resend job knows which never reached a worker.
    handed_at = models.DateTimeField(null=True, blank=True)
    # When a worker last took it for sending: a send stuck longer than that is retried.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # After a failure, when the back-off allows the next try.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind"],
                condition=~Q(kind="review_moved"),
                name="one_notification_per_object_kind",
                violation_error_message="This e-mail has already been recorded for this object.",
            ),
            # A review moves with its package to a new provider in an award round (L4): each
            # move is told once, so a review that comes back to a provider tells it again.
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind", "occasion"],
                condition=Q(kind="review_moved"),
                name="one_review_moved_per_round",
                violation_error_message="This move of the review has already been told.",
            ),
            models.CheckConstraint(
                condition=~Q(kind="review_moved") | Q(occasion__isnull=False),
                name="review_moved_has_round",
                violation_error_message="A review-moved e-mail needs the round that moved it.",
            ),
            models.CheckConstraint(
                condition=Q(branch__isnull=True) | Q(provider__isnull=False),
                name="notification_branch_has_provider",
                violation_error_message="An e-mail to a branch also names the branch's provider.",
            ),
        ]
        indexes = [
            # Every e-mail newest first (the council's GET /notifications/): a day's offers are
            # all recorded at one time, so the id orders them within it (as offer_sent_newest).
            models.Index(fields=["created_at", "id"], name="notification_newest"),
            models.Index(fields=["branch", "created_at"]),
            models.Index(fields=["provider", "created_at"]),
            models.Index(fields=["state"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_email or 'no address'}"

    @property
    def offer_id(self) -> int | None:
        """The offer this e-mail is about, if it is about one (content types are cached)."""
        ct = ContentType.objects.get_for_id(self.content_type_id)
        return self.object_id if (ct.app_label, ct.model) == ("brokerage", "offer") else None

    @property
    def recipients(self) -> list[str]:
        return [a.strip() for a in self.to_email.split(",") if a.strip()]
