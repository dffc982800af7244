"""Packages of care, the offers made to branches, and the e-mails sent about them (P1-P9, L2, L3)."""

from __future__ import annotations

import re
from contextlib import nullcontext
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from providers.models import Branch, Provider, held_by_branch
from wards.models import Ward


def district_of(postcode: str) -> str:
    """A postcode's outward code (PR1 of PR1 4AB), all a provider sees before award (A3)."""
    compact = "".join(postcode.upper().split())
    return compact[:-3] if len(compact) > 3 else ""


class ServiceLevel(models.TextChoices):
    HOMECARE_SINGLE = "homecare_single", "Homecare – Single Carer"
    HOMECARE_TWO = "homecare_two", "Homecare – Two Carer"
    HOMECARE_VARIABLE = "homecare_variable", "Homecare – Variable Carer"
    STCAH_SINGLE = "stcah_single", "Short Term Care at Home – Single Carer"
    STCAH_TWO = "stcah_two", "Short Term Care at Home – Two Carer"
    SHORT_BREAKS_ROLLING = "short_breaks_rolling", "Short Breaks – Homecare – Rolling"
    HOMECARE_SINGLE_WITH_SHORT_BREAKS = (
        "homecare_single_with_short_breaks",
        "Homecare – Single Carer with Short Breaks – Homecare – Rolling",
    )


POSTCODE_PATTERN = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def normalise_postcode(value: str) -> str:
    """'pr14ab' or ' PR1  4AB' → 'PR1 4AB'. Raises ValueError for text that is not a UK postcode.

    The space matters: providers see only the part before it until award (A3).
    """
    match = POSTCODE_PATTERN.match("".join(value.upper().split()))
    if not match:
        raise ValueError("Enter a full UK postcode, such as PR1 4AB.")
    return f"{match.group(1)} {match.group(2)}"


SHORT_TERM_LEVELS = frozenset({ServiceLevel.STCAH_SINGLE, ServiceLevel.STCAH_TWO})


class Urgency(models.TextChoices):
    STANDARD = "standard", "Standard"
    URGENT = "urgent", "Urgent"


class CarerGender(models.TextChoices):
    ANY = "any", "No preference"
    FEMALE = "female", "Female carers"
    MALE = "male", "Male carers"


class PackageStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    QUEUED = "queued", "Queued"
    OFFERED = "offered", "Offered"
    AWARDED = "awarded", "Awarded"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CANCELLED = "cancelled", "Cancelled"
    ENDED = "ended", "Ended"


class PlacementResponse(models.TextChoices):
    OFFER_MADE = "offer_made", "Offer Made"
    UNABLE_TO_ACCEPT = "unable_to_accept", "Unable to Accept"
    NO_RESPONSE = "no_response", "No Response"
    CLOSED_BEFORE_RESPONSE = "closed_before_response", "Closed Before Response"


ANSWERS = frozenset({PlacementResponse.OFFER_MADE, PlacementResponse.UNABLE_TO_ACCEPT})


class Outcome(models.TextChoices):
    OPEN = "open", "Open"
    AWARDED = "awarded", "Awarded"
    NOT_AWARDED = "not_awarded", "Not Awarded"
    WITHDRAWN = "withdrawn", "Withdrawn"


class DeclineReason(models.TextChoices):
    NO_CAPACITY = "no_capacity", "No capacity"
    CALL_TIMES = "call_times", "Cannot cover the call times"
    CARER_GENDER = "carer_gender", "Cannot meet carer-gender preference"
    OUT_OF_AREA = "out_of_area", "Outside the area we can reach"
    NEEDS = "needs", "Needs we cannot meet"
    OTHER = "other", "Other"


class PackageQuerySet(models.QuerySet):
    def visible_to(self, user) -> PackageQuerySet:
        """Packages are council records: council staff see them all, provider users none (A1, A3).

        Providers reach what they may see of a package through their offers.
        """
        if user is None or not user.is_authenticated or not user.is_active or not user.is_council:
            return self.none()
        return self


# Bounds on what a navigator writes (issue 14.4), checked by the form, the API and the service.
HOURS_IN_A_WEEK = Decimal("168")
START_DATE_WINDOW_DAYS = 366
NEEDS_SUMMARY_MAX = 4000
ADDRESS_MAX = 500
FULL_DETAILS_MAX = 10000


def start_date_within_a_year(value: date) -> None:
    """A wanted start date within a year of today, before or after (a typo like 2062 or 1926 is
    refused with the range)."""
    today = timezone.localdate()
    earliest = today - timedelta(days=START_DATE_WINDOW_DAYS)
    latest = today + timedelta(days=START_DATE_WINDOW_DAYS)
    if not earliest <= value <= latest:
        raise ValidationError(
            f"The wanted start date must be within a year of today, between "
            f"{earliest:%-d %B %Y} and {latest:%-d %B %Y}"
        )


class Package(models.Model):
    # What a navigator writes (P1): the create and edit form's fields, and the audit snapshot's.
    WRITABLE_FIELDS = (
        "reference",
        "ward",
        "postcode",
        "service_level",
        "hours_per_week",
        "call_pattern",
        "carer_gender",
        "urgency",
        "start_date",
        "needs_summary",
        "person_name",
        "address",
        "full_details",
    )

    reference = models.CharField(max_length=40, unique=True)
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="packages")
    postcode = models.CharField(
        max_length=10, help_text="Full postcode; providers see the district only (A3)."
    )
    service_level = models.CharField(max_length=40, choices=ServiceLevel.choices)
    hours_per_week = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[
            MinValueValidator(Decimal("0.25"), "Hours of care a week must be at least 0.25"),
            MaxValueValidator(
                HOURS_IN_A_WEEK,
                "Hours of care a week cannot be more than 168 (the hours in a week)",
            ),
        ],
    )
    call_pattern = models.CharField(max_length=300, help_text="e.g. 4 calls a day, 30 minutes each")
    carer_gender = models.CharField(
        max_length=8, choices=CarerGender.choices, default=CarerGender.ANY
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.STANDARD)
    start_date = models.DateField("wanted start date", validators=[start_date_within_a_year])
    needs_summary = models.TextField(
        max_length=NEEDS_SUMMARY_MAX, validators=[MaxLengthValidator(NEEDS_SUMMARY_MAX)]
    )
    # Personal details: shown to the awarded provider alone (A3).
    person_name = models.CharField(max_length=200, blank=True)
    address = models.TextField(
        blank=True, max_length=ADDRESS_MAX, validators=[MaxLengthValidator(ADDRESS_MAX)]
    )
    full_details = models.TextField(
        blank=True,
        max_length=FULL_DETAILS_MAX,
        validators=[MaxLengthValidator(FULL_DETAILS_MAX)],
        help_text="Care plan notes for the awarded provider.",
    )

    status = models.CharField(
        max_length=10, choices=PackageStatus.choices, default=PackageStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    distributed_at = models.DateTimeField(null=True, blank=True)
    # Set when a distribution found no branch covering the ward: flagged to navigators (P4).
    uncovered_at = models.DateTimeField(null=True, blank=True)
    awarded_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_on = models.DateField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    cancelled_on_doorstep = models.BooleanField(default=False)
    claim_hours = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="L3: hours the provider may claim.",
    )
    # P2: care finished as planned; its hours leave the commissioned total from `ended_on`.
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.TextField(blank=True)
    # L4: the package's current round of offers; a reallocation batch starts the next one.
    round = models.PositiveIntegerField(default=1, db_default=1)

    objects = PackageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "ward"]),
            # The package queue, newest first, whole or by status: an index range (issue 13).
            models.Index(fields=["created_at", "id"], name="package_newest"),
            models.Index(fields=["status", "created_at", "id"], name="package_status_newest"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def postcode_district(self) -> str:
        """The outward code (e.g. PR1 from PR1 4AB), all a provider sees before award (A3)."""
        return district_of(self.postcode)

    @property
    def awarded_offer(self) -> Offer | None:
        """The offer awarded in the package's latest round with an award: its current provider (L4).
        An earlier round's award stays in the record unchanged."""
        return (
            self.offers.filter(outcome=Outcome.AWARDED)
            .select_related("branch__provider")
            .order_by("-round")
            .first()
        )


class OfferQuerySet(models.QuerySet):
    def visible_to(self, user) -> OfferQuerySet:
        """The one scoping entry point for offers (A1): council all; organisation users their
        provider's; branch users their branch's."""
        return held_by_branch(self, user)

    def awaiting_answer(self) -> OfferQuerySet:
        return self.filter(outcome=Outcome.OPEN, placement_response__isnull=True)

    def with_superseded(self) -> OfferQuerySet:
        """Annotate each offer with `superseded`: its package was awarded again in a later round
        (L4), so an award it won is no longer the package's current one (one EXISTS subquery)."""
        later = Offer.objects.filter(
            package_id=models.OuterRef("package_id"),
            outcome=Outcome.AWARDED,
            round__gt=models.OuterRef("round"),
        )
        return self.annotate(superseded=models.Exists(later))


class Offer(models.Model):
    """A package offered to one branch. Carries the placement response and the outcome (P9)."""

    # Issue 13, goal 3: no index of their own; (package, branch, round), (branch, sent_at) and
    # (provider, sent_at) below lead with them, so every lookup by one uses those, and the fan-out
    # writes three index entries fewer per offer.
    package = models.ForeignKey(
        Package, on_delete=models.PROTECT, related_name="offers", db_index=False
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="offers", db_index=False
    )
    # Denormalised from the branch so scoping and KPIs need no join; never changes. On PostgreSQL
    # one foreign key, (branch, provider) to the branch's (id, provider), checks both and holds it
    # to the branch's provider (migration 0026): the fan-out makes one check fewer an offer.
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="offers", db_index=False
    )
    sent_at = models.DateTimeField(db_index=False)  # indexed with the id: (sent_at, id) below
    deadline = models.DateTimeField()
    urgent = models.BooleanField(default=False)
    placement_response = models.CharField(
        max_length=24, choices=PlacementResponse.choices, null=True, blank=True
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.OPEN)
    responded_at = models.DateTimeField(null=True, blank=True)
    # K11: `responded_at` moves when an answer is changed; the first answer's time never does.
    first_responded_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="K11: when the offer was first answered (by the branch, or at once by P12).",
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # indexed where set (Meta.indexes): a new offer has none
    )
    offered_start_date = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=16, choices=DeclineReason.choices, blank=True)
    note = models.TextField(blank=True)
    feedback = models.TextField(
        blank=True, help_text="The navigator's feedback to a responder not chosen (L2)."
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    viewed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="P11: when a user of its branch or organisation first opened it.",
    )
    auto = models.BooleanField(
        default=False,
        db_default=False,
        help_text="P12: answered at once by the portal because the branch declared no capacity.",
    )
    # L4: the round of offers this one belongs to (1 for the first distribution), and the
    # reallocation batch that started its round, if one did.
    round = models.PositiveIntegerField(default=1, db_default=1)
    batch = models.ForeignKey(
        "ReallocationBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="offers",
        db_index=False,  # indexed where set (Meta.indexes): the daily distribution's have none
    )
    # L6: where this offer stood when its round was awarded (rank of ranked_of, its score and
    # parts as the decision matrix gave them); written once, by the award, for offers made.
    rank = models.PositiveIntegerField(null=True, blank=True)
    ranked_of = models.PositiveIntegerField(null=True, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    parts = models.JSONField(null=True, blank=True)
    # L2: why the navigator chose an offer other than the top-ranked one (on the awarded offer).
    award_reason = models.TextField(blank=True, db_default="")
    # Its e-mails in the outbox (P7); lets the outbox be filtered by offer (`offer=`, `offer__…`).
    emails = GenericRelation("notifications.Notification", related_query_name="offer")

    objects = OfferQuerySet.as_manager()

    # Issue 13: moves the response counts on every save (set by `brokerage.counts` when ready).
    count_mover = None
    # L1 (issue 10): moves the hours held when an awarded offer is saved (set by `brokerage.holdings`).
    holdings_mover = None

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["package", "branch", "round"],
                name="one_offer_per_package_branch_round",
                violation_error_message="This branch has already been offered this package in this round.",
            ),
            models.UniqueConstraint(
                fields=["package", "round"],
                condition=Q(outcome="awarded"),
                name="one_award_per_package_round",
                violation_error_message="This package has already been awarded in this round.",
            ),
            models.CheckConstraint(
                condition=~Q(placement_response="offer_made") | Q(offered_start_date__isnull=False),
                name="offer_made_has_start_date",
                violation_error_message="An Offer Made needs the date the branch can start.",
            ),
        ]
        indexes = [
            # Every offer newest first (the council's API and history, `ordering`), with the id:
            # a day's distribution sends all its offers at one time, and on (sent_at) alone the
            # first page sorted every offer of that time (125,000 after a national day: 1.2 s).
            models.Index(fields=["sent_at", "id"], name="offer_sent_newest"),
            # ... and a later round's (L4) alone, as `?round=2` reads them: rare, so newest first
            # over every offer walked the market to find a page (0.44 s at 2M offers, when there
            # were none); a round-1 offer (every daily one) adds no entry.
            models.Index(
                fields=["sent_at", "id"], condition=Q(round__gt=1), name="offer_later_rounds_newest"
            ),
            models.Index(fields=["branch", "sent_at"]),
            models.Index(fields=["provider", "sent_at"]),
            # The inbox, soonest deadline first (issue 13): the open offers alone, in its order;
            # the council's (every branch's) and the expiry and reminder jobs' by deadline...
            models.Index(
                fields=["deadline", "id"],
                condition=Q(outcome="open"),
                name="offer_open_by_deadline",
            ),
            # ... and a branch's own (its inbox and home page). In place of (outcome, deadline),
            # which every open-offer query the other two serve: at 25M offers a branch's inbox
            # otherwise ANDed the market's 167,000 open offers with its own 3,000 (27 ms a view).
            models.Index(
                fields=["branch", "deadline", "id"],
                condition=Q(outcome="open"),
                name="offer_open_by_branch",
            ),
            # A provider's awarded offers (its packages, claims, reviews; `brokerage.holdings.recount`).
            models.Index(
                fields=["provider", "package", "round"],
                condition=Q(outcome="awarded"),
                name="offer_awarded_holdings",
            ),
            # Issue 13, goal 3: only offers that have one, so the daily fan-out's offers (no
            # batch, not answered) add no entry; `batch=`, `batch__isnull=False` and a user's
            # deletion (responded_by = ...) imply the condition and use them.
            models.Index(
                fields=["batch"], condition=Q(batch__isnull=False), name="offer_batch_set"
            ),
            models.Index(
                fields=["responded_by"],
                condition=Q(responded_by__isnull=False),
                name="offer_responded_by_set",
            ),
            # P12's auto-answered offers per provider (the capacity page), without reading every
            # offer; the fan-out's offers are not auto-answered, so add no entry.
            models.Index(fields=["provider"], condition=Q(auto=True), name="offer_auto_answered"),
        ]

    def __str__(self) -> str:
        return f"{self.package.reference} to {self.branch}"

    def save(self, *args, **kwargs):
        """Saved, and the response counts (ResponseCount, issue 13) moved in the same transaction
        by `brokerage.counts.move_on_save`, which sets `count_mover` when the app is ready; an
        awarded offer saved moves the hours its provider holds too (L1, `brokerage.holdings`, which
        sets `holdings_mover`; an award never changes to another outcome)."""
        if self.count_mover is None:
            return super().save(*args, **kwargs)
        held = self.outcome == Outcome.AWARDED and self.holdings_mover is not None
        with (
            transaction.atomic(using=kwargs.get("using")),
            self.holdings_mover([self.package_id]) if held else nullcontext(),
        ):
            self.count_mover(
                self, lambda: super(Offer, self).save(*args, **kwargs), kwargs.get("update_fields")
            )
        return None

    @property
    def is_current_award(self) -> bool:
        """L4: this offer is the package's current award, the one awarded in its latest round with
        an award (`Package.awarded_offer`). Its provider holds the package: it alone sees the
        person's details (A3), its claim on a cancellation, its reviews. An award a later round
        superseded once the package moved (a new round awarded to another provider) is kept in
        the record but no longer holds anything; until that new award the provider it is moving
        from still cares for the person, so still sees who it is for. Reads `superseded` from
        `with_superseded()` when the queryset has it, else asks once."""
        if self.outcome != Outcome.AWARDED:
            return False
        superseded = getattr(self, "superseded", None)
        if superseded is None:
            superseded = Offer.objects.filter(
                package_id=self.package_id, outcome=Outcome.AWARDED, round__gt=self.round
            ).exists()
        return not superseded

    def counted_state(self) -> tuple:
        """What the response counts read of this offer (`brokerage.counts.STATE_FIELDS`; whether
        K10 left it out is read from the database)."""
        return (
            self.provider_id,
            self.sent_at,
            self.urgent,
            self.placement_response,
            self.outcome,
            self.first_responded_at or self.responded_at,  # K11: the first answer's time
            self.package_id,  # K12: whose gaps it counts in
            self.reason,
        )


class BatchStatus(models.TextChoices):
    DRAFT = "draft", "Not sent"
    SENT = "sent", "Sent"


class ReallocationBatchQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReallocationBatchQuerySet:
        """L4, A1: council staff see every batch; a provider user only the batches its branch (or
        organisation) was offered."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_council:
            return self
        offered = Offer.objects.visible_to(user).filter(batch__isnull=False).values("batch_id")
        return self.filter(pk__in=offered)


class ReallocationBatch(models.Model):
    """L4: awarded packages that must move, in one postcode district, sent together as a new
    round of offers (never to the provider they move from). Sent once."""

    postcode_district = models.CharField(max_length=8)
    reason = models.TextField()
    from_provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    packages = models.ManyToManyField(Package, related_name="batches")
    status = models.CharField(max_length=8, choices=BatchStatus.choices, default=BatchStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ReallocationBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Reallocation batch {self.pk} ({self.postcode_district})"


class BatchBranch(models.Model):
    """L4: a reallocation batch as offered to one branch: what its one e-mail for the batch hangs
    off (unique per batch and branch, so it is recorded once) and what the branch's batch view
    lists."""

    batch = models.ForeignKey(ReallocationBatch, on_delete=models.PROTECT, related_name="branches")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "branch"],
                name="one_batch_email_per_branch",
                violation_error_message="This branch already has this batch.",
            )
        ]

    def __str__(self) -> str:
        return f"Batch {self.batch_id} to {self.branch}"


class RunSource(models.TextChoices):
    """What started a distribution run (not K7's "trigger", a word kept for late KPI returns)."""

    SCHEDULE = "schedule", "The daily schedule"
    CATCH_UP = "catch_up", "Catch-up after downtime"
    COMMAND = "command", "The distribute_packages command"
    SEND_NOW = "send_now", "A navigator's send now"


class DistributionRun(models.Model):
    """One run of the daily distribution, scheduled, caught up or from the command (P3, P5)."""

    as_of = models.DateTimeField(db_index=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=RunSource.choices, default=RunSource.SCHEDULE)
    # Counted batch by batch, in each batch's transaction: an interrupted run says how far it got.
    packages = models.PositiveIntegerField(default=0)
    offers = models.PositiveIntegerField(default=0)
    uncovered = models.PositiveIntegerField(default=0)
    # When its last batch committed; on SQLite, a run silent this long with no finish is dead.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Set when the process running it was found gone (worker killed) before it finished; what
    # it left queued goes out with the catch-up (P5). See brokerage/distribution.py.
    interrupted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-as_of", "-id"]

    def __str__(self) -> str:
        return f"Distribution at {self.as_of:%Y-%m-%d %H:%M} ({self.state})"

    @property
    def state(self) -> str:
        """ "finished", "interrupted" (its process died) or "running"."""
        if self.finished_at:
            return "finished"
        return "interrupted" if self.interrupted_at else "running"


class CapacityDeclarationQuerySet(models.QuerySet):
    def visible_to(self, user) -> CapacityDeclarationQuerySet:
        """A1: council all; organisation users their provider's branches'; branch users their own."""
        return self.filter(branch__in=Branch.objects.visible_to(user))

    def active_at(self, at) -> CapacityDeclarationQuerySet:
        """Declarations in force at the moment `at`: made by then, not lifted by then, and whose
        last day (`until`, Europe/London) is not before `at`'s date."""
        day = timezone.localdate(at, timezone=timezone.get_default_timezone())
        return self.filter(declared_at__lte=at, until__gte=day).filter(
            Q(lifted_at__isnull=True) | Q(lifted_at__gt=at)
        )


class CapacityDeclaration(models.Model):
    """P12: a branch declared it has no capacity until a date (inclusive); lifted early or not.

    A history: a new declaration ends the open one (`lifted_at`), never edits it."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="capacity")
    until = models.DateField(help_text="The last day of no capacity (Europe/London).")
    note = models.TextField()
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    declared_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = CapacityDeclarationQuerySet.as_manager()

    class Meta:
        ordering = ["-declared_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch"],
                condition=Q(lifted_at__isnull=True),
                name="one_open_capacity_declaration_per_branch",
                violation_error_message="This branch has already declared no capacity.",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_at__gte=models.F("declared_at")),
                name="capacity_lifted_after_declared",
                violation_error_message="A declaration cannot be lifted before it was made.",
            ),
        ]
        indexes = [models.Index(fields=["branch", "declared_at"])]

    def __str__(self) -> str:
        return f"{self.branch} has no capacity until {self.until:%d %B %Y}"


class HoursChange(models.Model):
    """R3: one change of a package's weekly hours after award: old, new, from which day, when and
    why. The package's first hours are its own `hours_per_week` until the first change; the hours
    in force on a day are those of the last change from on or before it (`brokerage/hours.py`).

    `source` is what made the change (a signed-off review): a generic relation, since reviews live
    in a higher app."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="hours_changes")
    old_hours = models.DecimalField(max_digits=5, decimal_places=2)
    new_hours = models.DecimalField(max_digits=5, decimal_places=2)
    effective_from = models.DateField(help_text="The first day the new hours are in force.")
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    source_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")

    class Meta:
        ordering = ["package", "changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(new_hours__gte=0) & Q(old_hours__gte=0),
                name="hours_change_not_negative",
                violation_error_message="Hours of care a week cannot be negative.",
            ),
            models.UniqueConstraint(
                fields=["source_type", "source_id"],
                name="one_hours_change_per_source",
                violation_error_message="These hours have already been changed by this review.",
            ),
        ]
        indexes = [models.Index(fields=["package", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.package}: {self.old_hours} → {self.new_hours} from {self.effective_from}"


class ClaimKind(models.TextChoices):
    CANCELLATION = "cancellation", "Three days' hours after a cancellation"
    ASSESSMENT = "assessment", "The assessment hour, cancelled on the doorstep"


class ClaimQuerySet(models.QuerySet):
    def visible_to(self, user) -> ClaimQuerySet:
        """A1: council all; an organisation user its provider's; a branch user its branch's."""
        return held_by_branch(self, user)


class Claim(models.Model):
    """L3: what the provider holding a package may claim when it is cancelled after award."""

    package = models.OneToOneField(Package, on_delete=models.PROTECT, related_name="claim")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="claims")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="claims")
    kind = models.CharField(max_length=12, choices=ClaimKind.choices)
    hours = models.DecimalField(max_digits=6, decimal_places=2)
    cancelled_on = models.DateField()
    created_at = models.DateTimeField()

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-cancelled_on", "-id"]
        indexes = [
            models.Index(fields=["provider", "cancelled_on"]),
            models.Index(fields=["branch", "cancelled_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.package}: {self.hours} hours ({self.get_kind_display()})"


class ProviderHours(models.Model):
    """L1 market share (issue 10): the weekly hours each provider holds in awarded packages (the
    award of each package's current round), kept current in the same transaction as every write
    that moves them (`brokerage/holdings.py`), so a shortlist reads one row per provider instead
    of every award. A provider holding none may have a row of 0 or none. Rebuilt from the awards
    by `manage.py rebuild_kpi_summary`."""

    provider = models.OneToOneField(
        Provider, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    hours = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))

    def __str__(self) -> str:
        return f"{self.provider_id} {self.hours}"


class ResponseCount(models.Model):
    """Issue 13: the K1 and K4 counts of each provider's offers, per Europe/London day the offer
    was sent (`grain` "day"), per week (`grain` "week": Monday to Sunday, cut where a quarter
    starts, so every week row lies in one quarter; `start` its first day) and per financial
    quarter (`grain` "quarter", `start` its first day); a rolling window reads whole weeks and
    the days at its ends,
    kept current in the same transaction as every write that moves one (`brokerage/counts.py`), so
    response rates read a few thousand rows instead of millions of offers. Each count is of all
    the offers; its `urgent_` twin of the urgent ones alone (for the setting that leaves them out).
    An offer left out of K1 after an upheld challenge (K10) counts in `excluded` alone.
    Rebuilt from the offers by `manage.py rebuild_kpi_summary`."""

    DAY = "day"
    WEEK = "week"
    QUARTER = "quarter"
    GRAINS = [(DAY, "Day"), (WEEK, "Week"), (QUARTER, "Quarter")]
    COUNTS = ("responded", "no_response", "offer_made", "awarded", "excluded")
    COLUMNS = COUNTS + tuple(f"urgent_{c}" for c in COUNTS)

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    grain = models.CharField(max_length=8, choices=GRAINS)
    start = models.DateField(
        help_text="The day, the week's Monday (or its quarter's first day, a week being cut where "
        "a quarter starts), or the quarter's first day (Europe/London)."
    )
    responded = models.IntegerField(default=0)  # Offer Made + Unable to Accept
    no_response = models.IntegerField(default=0)
    offer_made = models.IntegerField(default=0)
    awarded = models.IntegerField(default=0)  # Offer Made and awarded
    excluded = models.IntegerField(default=0)  # K10: left out after an upheld challenge
    urgent_responded = models.IntegerField(default=0)
    urgent_no_response = models.IntegerField(default=0)
    urgent_offer_made = models.IntegerField(default=0)
    urgent_awarded = models.IntegerField(default=0)
    urgent_excluded = models.IntegerField(default=0)
    # K11 (issue 13), on quarter rows only: the median hours to first answer of the provider's
    # answered offers K1 counts in the quarter, of all of them and of those not urgent (for the
    # setting that leaves urgent offers out); None when none answered. Worked out again from the
    # provider's offers of that quarter whenever the set of them changes (`brokerage/counts.py`).
    median_hours = models.FloatField(null=True, blank=True)
    nonurgent_median_hours = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "start", "provider"],
                name="one_response_count_per_period",
                violation_error_message="These offers are already counted for this period.",
            )
        ]
        indexes = [models.Index(fields=["provider", "grain", "start"])]  # one provider's own

    def __str__(self) -> str:
        return f"{self.provider_id} {self.grain} {self.start}"


class GapCount(models.Model):
    """K12 market gaps (issue 13): each package's offers sent in a financial quarter (by the
    Europe/London day of `sent_at`, as K1 counts them), those of them declined (Unable to Accept,
    P12's automatic answers among them) in all and by reason, and those with an Offer Made, kept
    current in the same transaction as every write that moves one (`brokerage/counts.py`), so the
    quarter's gaps by district, ward or service level read one row per package offered instead of
    every offer. The package's ward and service level are copied on when its row is made (the
    package's, fixed once it is offered), so that read joins the wards alone, not the packages.
    The package got no Offer Made in the quarter when `made` is 0. The package queue sums a
    page's packages' rows for each one's offers made and sent. Rebuilt from the offers by
    `manage.py rebuild_kpi_summary`."""

    REASON_COLUMNS = tuple(f"declined_{code}" for code in DeclineReason.values)
    COLUMNS = ("offers", "declined", "made", *REASON_COLUMNS)

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="+")
    start = models.DateField(help_text="The financial quarter's first day (Europe/London).")
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="+")  # the package's
    service_level = models.CharField(max_length=40, choices=ServiceLevel.choices)  # the package's
    offers = models.IntegerField(default=0, db_default=0)
    declined = models.IntegerField(default=0, db_default=0)  # Unable to Accept, any reason
    made = models.IntegerField(default=0, db_default=0)  # Offer Made
    declined_no_capacity = models.IntegerField(default=0, db_default=0)
    declined_call_times = models.IntegerField(default=0, db_default=0)
    declined_carer_gender = models.IntegerField(default=0, db_default=0)
    declined_out_of_area = models.IntegerField(default=0, db_default=0)
    declined_needs = models.IntegerField(default=0, db_default=0)
    declined_other = models.IntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["start", "package"],
                name="one_gap_count_per_package_quarter",
                violation_error_message="This package's offers are already counted this quarter.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.package_id} {self.start}"


class WardDayCount(models.Model):
    """Ward health (W5, issue 13): each package's offers sent on a Europe/London day, and of them
    those W5's rates count (answered or No Response), those answered and those with an Offer Made,
    an offer left out after an upheld challenge (K10) in `sent` alone. Kept current in the same
    transaction as every write that moves one (`brokerage/counts.py`, with K1's and K12's counts),
    so a period's ward and district figures read one row per package and day offered instead of
    every offer (a day's offers of a package all go out together: about 100 offers a row on the
    national bench). The package's ward is copied on when its row is made (the package's, fixed
    once it is offered). Rebuilt from the offers by `manage.py rebuild_kpi_summary`."""

    COLUMNS = ("sent", "counted", "responded", "made")

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="The day the offers were sent (Europe/London).")
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="day_counts")
    sent = models.IntegerField(default=0, db_default=0)
    counted = models.IntegerField(default=0, db_default=0)  # answered or No Response, not K10's
    responded = models.IntegerField(default=0, db_default=0)  # Offer Made or Unable to Accept
    made = models.IntegerField(default=0, db_default=0)  # Offer Made

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "package"],
                name="one_ward_day_count_per_package_day",
                violation_error_message="This package's offers are already counted for this day.",
            )
        ]
        indexes = [models.Index(fields=["ward", "day"], name="ward_day_count_by_ward")]

    def __str__(self) -> str:
        return f"{self.package_id} {self.day}"


class ClosedQuarterChange(models.Model):
    """A write to the kept counts of a closed quarter (ended more than `counts.CLOSED_AFTER_DAYS`
    before it), or to something every quarter's figures show (a provider's name, a rebuild): a
    row each. Closed quarters almost never change (a challenge decided late, a rebuild), so their
    rate rows are kept in memory by `kpi.closed_quarters` until a row here says otherwise (issue
    13): one read of this small table, not of every provider's counts. Rows are only added, so
    their number and newest id tell every change apart, whichever commits first."""

    start = models.DateField(
        null=True, blank=True, help_text="The quarter's first day; empty for every quarter."
    )
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.start or 'every quarter'} changed {self.at:%Y-%m-%d %H:%M}"


class AnswerTimeCount(models.Model):
    """K11 for the whole market (issue 13): how many answered offers K1 counts took each whole
    minute (to the nearest) from being sent to their first answer, per Europe/London day sent
    and per financial quarter, urgent or not; the market's median hours to answer is the middle
    of these (to the minute), never of the providers' medians. Moved with the response counts in
    the same transaction (`brokerage/counts.py`); rebuilt by `manage.py rebuild_kpi_summary`."""

    grain = models.CharField(
        max_length=8, choices=[(ResponseCount.DAY, "Day"), (ResponseCount.QUARTER, "Quarter")]
    )
    start = models.DateField(help_text="The day, or the quarter's first day (Europe/London).")
    urgent = models.BooleanField()
    minute = models.IntegerField(help_text="Minutes from sent to first answer, to the nearest.")
    offers = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "start", "urgent", "minute"],
                name="one_answer_time_count_per_minute",
                violation_error_message="These answers are already counted for this minute.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.start} {'urgent ' if self.urgent else ''}{self.minute} min"
