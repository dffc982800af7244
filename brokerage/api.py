"""Packages and offers API, as API.md says. Scoping goes through `visible_to` (A1); the services'
refusals reach the client through `core.api.exception_handler` (400, 409 with a plain `detail`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import CSV_DOWNLOAD_RENDERERS, EstimatedCountPagination
from core.errors import InvalidInput
from wards.models import Ward

from . import services
from .claims import claim_queryset, claims_csv_response
from .exports import history_csv_response
from .filters import ClaimFilter, OfferFilter, PackageFilter
from .hours import hours_history
from .models import DeclineReason, Offer, Package, PlacementResponse, normalise_postcode
from .notifications import EMAIL_STATE
from .permissions import may_act_on_packages, may_answer_offers, may_read_packages
from .seen import offer_seen
from .selectors import offer_queryset, standing_of, visible_offers, with_page_extras
from .wording import send_now_summary


class PackageAccess(BasePermission):
    """Navigators do; contract managers and reviewers read; provider users may not (403)."""

    def has_permission(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return may_read_packages(request.user)
        return may_act_on_packages(request.user)


class NamedRefSerializer(serializers.Serializer):
    ref = serializers.CharField()
    name = serializers.CharField()


class PartSerializer(serializers.Serializer):
    """One part of the decision matrix (L1, L6; the matrix is `allocation.matrix`): its raw figure, its score (0-1) and its weight."""

    score = serializers.FloatField(min_value=0, max_value=1)
    weight = serializers.FloatField(min_value=0)


class ResponseRatePartSerializer(PartSerializer):
    value = serializers.FloatField(
        allow_null=True,
        help_text="The rolling 90-day response rate as a fraction; null with no counted offers "
        "(the score is then the market median)",
    )
    counted = serializers.IntegerField(help_text="The offers counted in the rate")


class QualityPartSerializer(PartSerializer):
    value = serializers.CharField(help_text="The provider's CQC rating code")


class MarketSharePartSerializer(PartSerializer):
    value = serializers.FloatField(help_text="Weekly hours the provider already holds")


class StartPartSerializer(PartSerializer):
    value = serializers.IntegerField(help_text="Days the offered start is after the wanted start")


class ShortlistPartsSerializer(serializers.Serializer):
    response_rate = ResponseRatePartSerializer()
    quality = QualityPartSerializer()
    market_share = MarketSharePartSerializer()
    start = StartPartSerializer()


class AwardedStandingSerializer(serializers.Serializer):
    score = serializers.FloatField(min_value=0, max_value=1)
    parts = ShortlistPartsSerializer()


class StandingSerializer(serializers.Serializer):
    """L6: where an answered offer stood once its round was awarded (`selectors.standing_of`);
    rank, score and parts are null for an Unable to Accept (not ranked)."""

    rank = serializers.IntegerField(allow_null=True)
    of = serializers.IntegerField(allow_null=True)
    score = serializers.FloatField(allow_null=True, min_value=0, max_value=1)
    parts = ShortlistPartsSerializer(allow_null=True)
    awarded = AwardedStandingSerializer()
    reason = serializers.CharField(allow_blank=True)


class PackageSerializer(serializers.ModelSerializer):
    ward = serializers.SlugRelatedField(slug_field="code", queryset=Ward.objects.all())
    ward_name = serializers.CharField(source="ward.name", read_only=True)
    postcode_district = serializers.CharField(read_only=True)
    uncovered = serializers.SerializerMethodField(
        help_text="True when the last distribution found no branch covering the ward"
    )

    class Meta:
        model = Package
        fields = [
            "id",
            "reference",
            "ward",
            "ward_name",
            "postcode",
            "postcode_district",
            "service_level",
            "hours_per_week",
            "urgency",
            "start_date",
            "carer_gender",
            "call_pattern",
            "needs_summary",
            "person_name",
            "address",
            "full_details",
            "status",
            "created_at",
            "queued_at",
            "distributed_at",
            "uncovered",
            "awarded_at",
            "withdrawn_reason",
            "cancelled_on",
            "cancel_reason",
            "cancelled_on_doorstep",
            "claim_hours",
            "ended_on",
            "end_reason",
        ]
        read_only_fields = [
            "status",
            "created_at",
            "queued_at",
            "distributed_at",
            "awarded_at",
            "withdrawn_reason",
            "cancelled_on",
            "cancel_reason",
            "cancelled_on_doorstep",
            "claim_hours",
            "ended_on",
            "end_reason",
        ]
        extra_kwargs = {
            "person_name": {"required": False},
            "address": {"required": False},
            "full_details": {"required": False},
            # The model's words for its bounds (issue 14.4), not DRF's "Ensure this value…".
            "hours_per_week": {
                "error_messages": {
                    "min_value": "Hours of care a week must be at least 0.25",
                    "max_value": "Hours of care a week cannot be more than 168 (the hours in a week)",
                }
            },
        }

    def get_uncovered(self, package) -> bool:
        return package.uncovered_at is not None

    def validate_postcode(self, value: str) -> str:
        try:
            return normalise_postcode(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class SendNowSerializer(PackageSerializer):
    """The package as sent, with what happened: offers made, and e-mails that wait in the outbox
    because the message broker could not take them (they go when it is back)."""

    offers_made = serializers.IntegerField(read_only=True)
    emails_waiting = serializers.IntegerField(read_only=True)
    detail = serializers.CharField(read_only=True)

    class Meta(PackageSerializer.Meta):
        fields = [*PackageSerializer.Meta.fields, "offers_made", "emails_waiting", "detail"]


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField()


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField()
    date = serializers.DateField(source="cancelled_on")  # API.md names it `date`
    doorstep = serializers.BooleanField(required=False, default=False)


class EndSerializer(serializers.Serializer):
    reason = serializers.CharField()
    date = serializers.DateField(source="ended_on")  # API.md names it `date`


class HoursSerializer(serializers.Serializer):
    """R3: the hours in force from a day; `review` is the review that changed them, if one did."""

    hours_per_week = serializers.DecimalField(max_digits=5, decimal_places=2)
    # `from` is a Python keyword: declared through `fields` below.
    changed_at = serializers.DateTimeField()
    review = serializers.IntegerField(allow_null=True)
    old_hours = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    reason = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(allow_null=True)
        return fields


class PackageViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    serializer_class = PackageSerializer
    permission_classes = [PackageAccess]
    filterset_class = PackageFilter

    def get_queryset(self):
        return (
            Package.objects.visible_to(self.request.user)
            .select_related("ward")
            .order_by("-created_at", "-id")
        )

    def perform_create(self, serializer):
        serializer.instance = services.package_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.package_update(
            actor=self.request.user,
            package=serializer.instance,
            **serializer.validated_data,
        )

    def _done(self, package, code=status.HTTP_200_OK):
        package.refresh_from_db()
        return Response(
            PackageSerializer(package, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(request=None, responses=PackageSerializer)
    @action(detail=True, methods=["post"])
    def queue(self, request, pk=None):
        package = self.get_object()
        return self._done(services.package_queue(actor=request.user, package=package))

    @extend_schema(request=None, responses=SendNowSerializer)
    @action(detail=True, methods=["post"], url_path="send-now")
    def send_now(self, request, pk=None):
        package = self.get_object()
        result = services.package_send_now(actor=request.user, package=package)
        package.refresh_from_db()
        data = PackageSerializer(package, context=self.get_serializer_context()).data
        data.update(offers_made=result.offers, emails_waiting=result.emails_waiting)
        data["detail"] = send_now_summary(package.reference, result)
        return Response(data, status=status.HTTP_200_OK)

    @extend_schema(request=WithdrawSerializer, responses=PackageSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        package = self.get_object()
        data = WithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._done(
            services.package_withdraw(
                actor=request.user,
                package=package,
                **data.validated_data,
            )
        )

    @extend_schema(request=CancelSerializer, responses=PackageSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        package = self.get_object()
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            cancelled = services.package_cancel(
                actor=request.user, package=package, **data.validated_data
            )
        except InvalidInput as exc:
            raise exc.renamed(cancelled_on="date") from exc  # the contract's name for the field
        return self._done(cancelled)

    @extend_schema(request=EndSerializer, responses=PackageSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """P2: care finished as planned, with a date and reason; no claim."""
        package = self.get_object()
        data = EndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            ended = services.package_end(actor=request.user, package=package, **data.validated_data)
        except InvalidInput as exc:
            raise exc.renamed(ended_on="date") from exc  # the contract's name for the field
        return self._done(ended)

    @extend_schema(request=None, responses=HoursSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)  # a plain list, as the schema says
    def hours(self, request, pk=None):
        """R3: the package's weekly hours over time, oldest first."""
        return Response(HoursSerializer(hours_history(self.get_object()), many=True).data)


class OfferPackageSerializer(serializers.ModelSerializer):
    ward = serializers.CharField(source="ward.code")
    ward_name = serializers.CharField(source="ward.name")
    postcode_district = serializers.CharField()

    class Meta:
        model = Package
        fields = [
            "reference",
            "ward",
            "ward_name",
            "postcode_district",
            "service_level",
            "hours_per_week",
            "urgency",
            "start_date",
            "carer_gender",
            "call_pattern",
            "needs_summary",
        ]


class RefNameSerializer(serializers.Serializer):
    ref = serializers.CharField()
    name = serializers.CharField()


# DRF's own conversions of a datetime, a date and the weekly hours, for OfferSerializer's
# hand-built representation: the same output as its declared fields give, by construction.
_WHEN = serializers.DateTimeField()
_DAY = serializers.DateField()
_HOURS = serializers.DecimalField(max_digits=5, decimal_places=2)  # as Package.hours_per_week


class OfferSerializer(serializers.ModelSerializer):
    package = OfferPackageSerializer()
    provider = RefNameSerializer()
    branch = RefNameSerializer()
    person = serializers.SerializerMethodField(
        help_text="The person's details: the awarded provider only (A3)"
    )
    email_state = serializers.SerializerMethodField(
        help_text="The offer e-mail's state: pending, sent, failed, or null before one is recorded"
    )
    standing = serializers.SerializerMethodField(
        help_text="L6, after award, for a branch that answered: {rank, of, score, parts, awarded: "
        "{score, parts}, reason}; null otherwise. Never another provider's name."
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "package",
            "provider",
            "branch",
            "sent_at",
            "deadline",
            "placement_response",
            "outcome",
            "responded_at",
            "offered_start_date",
            "reason",
            "note",
            "feedback",
            "person",
            "email_state",
            "viewed_at",
            "auto",
            "batch",
            "round",
            "standing",
        ]
        read_only_fields = ["viewed_at", "auto", "batch", "round"]

    def to_representation(self, offer: Offer) -> dict:
        """The fields declared above, built in one pass (issue 13): DRF's field-by-field walk of
        an offer, its package and their nested serializers took most of a page of 50 offers.
        The declared fields still give the schema; a test holds this to their output."""
        package, provider, branch = offer.package, offer.provider, offer.branch
        return {
            "id": offer.id,
            "package": {
                "reference": package.reference,
                "ward": package.ward.code,
                "ward_name": package.ward.name,
                "postcode_district": package.postcode_district,
                "service_level": package.service_level,
                "hours_per_week": _HOURS.to_representation(package.hours_per_week),
                "urgency": package.urgency,
                "start_date": _DAY.to_representation(package.start_date),
                "carer_gender": package.carer_gender,
                "call_pattern": package.call_pattern,
                "needs_summary": package.needs_summary,
            },
            "provider": {"ref": provider.ref, "name": provider.name},
            "branch": {"ref": branch.ref, "name": branch.name},
            "sent_at": _WHEN.to_representation(offer.sent_at),
            "deadline": _WHEN.to_representation(offer.deadline),
            "placement_response": offer.placement_response,
            "outcome": offer.outcome,
            "responded_at": _WHEN.to_representation(offer.responded_at),
            "offered_start_date": _DAY.to_representation(offer.offered_start_date),
            "reason": offer.reason,
            "note": offer.note,
            "feedback": offer.feedback,
            "person": self.get_person(offer),
            "email_state": self.get_email_state(offer),
            "viewed_at": _WHEN.to_representation(offer.viewed_at),
            "auto": offer.auto,
            "batch": offer.batch_id,
            "round": offer.round,
            "standing": self.get_standing(offer),
        }

    @extend_schema_field(StandingSerializer(allow_null=True))
    def get_standing(self, offer) -> dict | None:
        return standing_of(offer)

    def get_email_state(self, offer) -> str | None:
        """P7: the offer e-mail's state in the outbox: pending, sent, failed, or None before one."""
        return EMAIL_STATE.get(getattr(offer, "offer_email_state", None))

    def get_person(self, offer) -> dict | None:
        if not offer.is_current_award:
            return None  # A3: the current award's provider alone (L4: not one a later round superseded)
        p = offer.package
        return {
            "name": p.person_name,
            "address": p.address,
            "postcode": p.postcode,
            "details": p.full_details,
        }


class RespondSerializer(serializers.Serializer):
    response = serializers.ChoiceField(
        choices=[PlacementResponse.OFFER_MADE, PlacementResponse.UNABLE_TO_ACCEPT]
    )
    start_date = serializers.DateField(required=False, allow_null=True, default=None)
    reason = serializers.ChoiceField(
        choices=DeclineReason.choices, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class OfferViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OfferSerializer
    # Millions of offers: no full count per page (issue 13, README "API beyond API.md").
    pagination_class = EstimatedCountPagination
    filterset_class = OfferFilter

    def get_queryset(self):
        # A list reads its page plainly and adds the e-mail state and standing to the page's
        # offers (`paginate_queryset`); one offer reads them in its own query.
        rows = visible_offers if self.action == "list" else offer_queryset
        return rows(self.request.user).order_by("-sent_at", "-id")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return None if page is None else with_page_extras(page)

    def retrieve(self, request, *args, **kwargs):
        """One offer; the first read by a user of its branch or organisation is its `viewed_at`
        (P11). A council user's read changes nothing."""
        offer_seen(offer=self.get_object(), actor=request.user)
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=RespondSerializer, responses=OfferSerializer)
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        offer = self.get_object()  # 404 when not yours (A1)
        if not may_answer_offers(request.user):
            raise PermissionDenied("Only the provider offered the package can answer it.")
        data = RespondSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        offer = services.offer_respond(actor=request.user, offer=offer, **data.validated_data)
        return Response(OfferSerializer(offer_queryset(request.user).get(pk=offer.pk)).data)


class OfferExportView(APIView):
    """`GET /offers/export.csv`: the caller's whole offer and response history (I4)."""

    renderer_classes = CSV_DOWNLOAD_RENDERERS

    @extend_schema(responses={(200, "text/csv"): str})
    def get(self, request):
        return history_csv_response(offer_queryset(request.user))


class ClaimPackageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


class ClaimSerializer(serializers.Serializer):
    """L3: one claim. `package` is the package's id; `package_reference` its reference."""

    id = serializers.IntegerField()
    package = serializers.IntegerField(source="package_id")
    package_reference = serializers.CharField(source="package.reference")
    provider = RefNameSerializer()
    branch = RefNameSerializer()
    kind = serializers.CharField()
    hours = serializers.DecimalField(max_digits=6, decimal_places=2)
    cancelled_on = serializers.DateField()


class ClaimViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """`GET /claims/` (L3): scoped (A1), filters `provider`, `kind`, `after`, `before`."""

    serializer_class = ClaimSerializer
    filterset_class = ClaimFilter

    def get_queryset(self):
        return claim_queryset(self.request.user)


class ClaimExportView(APIView):
    """`GET /claims/export.csv` (L3): the claims the caller may see, with the list's filters."""

    renderer_classes = CSV_DOWNLOAD_RENDERERS

    @extend_schema(responses={(200, "text/csv"): str})
    def get(self, request):
        filterset = ClaimFilter(request.GET, queryset=claim_queryset(request.user))
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return claims_csv_response(filterset.qs)
