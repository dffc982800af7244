"""KPI API, as API.md says: response rates, returns, triggers, challenges of a No Response (K10).
Provider users see their own rows only (A1), plus the market summary; out-of-scope objects are 404."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from brokerage.models import Offer
from providers.models import Provider

from . import services
from .challenge_selectors import challenge_queryset, email_word
from .market_gaps import decline_reasons_payload, parse_gap_query
from .models import Challenge, KpiReturn, KpiReturnUpload, KpiTrigger
from .permissions import (
    may_decide_challenges,
    may_make_returns,
    may_make_returns_on_behalf,
    may_read_market_gaps,
)
from .quarters import Quarter
from .selectors import RateWindow, response_rates_payload


class ProviderRefSerializer(serializers.Serializer):
    ref = serializers.CharField()
    name = serializers.CharField()


def rate_window(params, now=None) -> RateWindow:
    """`?quarter=2026-27-Q1` or `?rolling=90`; a 400 with a plain message otherwise."""
    quarter, rolling = params.get("quarter"), params.get("rolling")
    try:
        if rolling:
            return RateWindow.parse(f"rolling-{rolling}", now)
        if quarter:
            return RateWindow.parse(quarter, now)
    except ValueError as exc:
        raise ValidationError({"quarter" if quarter else "rolling": [str(exc)]}) from exc
    if rolling is not None:
        raise ValidationError({"rolling": ["Give a number of days from 1 to 730, such as 90."]})
    raise ValidationError({"quarter": ["Give ?quarter=2026-27-Q1 or ?rolling=90."]})


class ResponseRatesView(APIView):
    """K1-K4: response rates per provider for a quarter or a rolling window, and the market."""

    @extend_schema(
        parameters=[
            OpenApiParameter("quarter", str, description="A financial quarter such as 2026-27-Q1"),
            OpenApiParameter("rolling", int, description="Days of a rolling window, e.g. 90"),
        ],
        responses={200: dict},
    )
    def get(self, request):
        return Response(response_rates_payload(request.user, rate_window(request.query_params)))


class DeclineReasonsView(APIView):
    """K12: `?quarter=2026-27-Q1&by=district|ward|service_level` (council only, A2): offers and
    decline reasons per district, ward or service level, with the share of packages that got no
    Offer Made. A bad quarter or grouping is a 400 naming it."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "quarter", str, required=True, description="A financial quarter such as 2026-27-Q1"
            ),
            OpenApiParameter(
                "by",
                str,
                enum=["district", "ward", "service_level"],
                description="Default district",
            ),
        ],
        responses={200: dict},
    )
    def get(self, request):
        if not may_read_market_gaps(request.user):
            raise PermissionDenied("Only council staff see decline reasons across the market.")
        params = request.query_params
        quarter, by = parse_gap_query(params.get("quarter"), params.get("by"))
        return Response(decline_reasons_payload(quarter, by))


class KpiReturnSerializer(serializers.ModelSerializer):
    provider = ProviderRefSerializer(read_only=True)
    length_compliance = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = KpiReturn
        fields = [
            "id",
            "provider",
            "quarter",
            "submitted_at",
            "late",
            "visits",
            "delivered",
            "missed",
            "late_starts",
            "length_compliant",
            "length_compliance",
        ]
        read_only_fields = fields


class ReturnRowErrorSerializer(serializers.Serializer):
    column = serializers.CharField()
    message = serializers.CharField()


class ReturnRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    errors = ReturnRowErrorSerializer(many=True)


class KpiReturnFileSerializer(serializers.ModelSerializer):
    """A large visit file being read by the worker (issue 14.2): `state` is queued, reading,
    received (then `kpi_return` is the return) or refused (then `rows`, `error_count`, `bad_rows`
    and `detail`, as a 400 from POST /kpi/returns/ would have them)."""

    provider = ProviderRefSerializer(read_only=True)
    kpi_return = KpiReturnSerializer(read_only=True, allow_null=True)
    rows = serializers.SerializerMethodField()

    class Meta:
        model = KpiReturnUpload
        fields = [
            "id",
            "provider",
            "quarter",
            "file_name",
            "size",
            "submitted_at",
            "state",
            "rows_read",
            "finished_at",
            "kpi_return",
            "rows",
            "error_count",
            "bad_rows",
            "detail",
        ]
        read_only_fields = fields

    @extend_schema_field(ReturnRowSerializer(many=True))
    def get_rows(self, upload) -> list[dict]:
        rejected = services.upload_rejection(upload)
        return rejected.rows() if rejected else []


class KpiReturnFileViewSet(viewsets.ReadOnlyModelViewSet):
    """Large visit files read by the worker: poll one until its state is received or refused."""

    serializer_class = KpiReturnFileSerializer
    filterset_fields = ["quarter", "state"]

    def get_queryset(self):
        return (
            KpiReturnUpload.objects.visible_to(self.request.user)
            .select_related("provider", "kpi_return__provider")
            .defer("content")
        )


class KpiReturnUploadSerializer(serializers.Serializer):
    quarter = serializers.CharField()
    file = serializers.FileField()
    provider = serializers.CharField(
        required=False, help_text="Provider reference: contract managers making a return for one"
    )

    def validate_quarter(self, value):
        try:
            return Quarter.parse(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc


def return_provider(user, ref: str | None) -> Provider:
    """Provider users return for their own provider; contract managers name one (A1: 404)."""
    if user.is_provider_user:
        if ref and ref != user.provider.ref:
            raise ValidationError({"provider": ["You can only make your own provider's return."]})
        return user.provider
    if not may_make_returns_on_behalf(user):
        raise PermissionDenied("Only providers and contract managers make KPI returns.")
    if not ref:
        raise ValidationError({"provider": ["Say which provider this return is for."]})
    return get_object_or_404(Provider, ref=ref)


class KpiReturnViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """K5: quarterly returns. POST multipart {quarter, file}; GET lists the caller's own."""

    serializer_class = KpiReturnSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["quarter"]

    def get_queryset(self):
        return KpiReturn.objects.visible_to(self.request.user).select_related("provider")

    @extend_schema(
        request=KpiReturnUploadSerializer,
        responses={201: KpiReturnSerializer, 202: KpiReturnFileSerializer},
        description=(
            "A file up to KPI_RETURN_INLINE_MAX_BYTES (256 KB) is read at once: 201 with the "
            "return, or 400 with its rows' errors. A larger one is read by a worker: 202 with the "
            "upload's state and a Location header to poll (GET /kpi/return-uploads/{id}/). A file "
            "over the upload limits is refused at once with 400."
        ),
    )
    def create(self, request, *args, **kwargs):
        # The role first: a navigator posting an empty form is told it may not, not what is missing.
        if not may_make_returns(request.user):
            raise PermissionDenied("Only providers and contract managers make KPI returns.")
        upload = KpiReturnUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        provider = return_provider(request.user, upload.validated_data.get("provider"))
        file = upload.validated_data["file"]
        # A refused file (ReturnRejected: 400 with every bad row) and a quarter already returned
        # (KpiError: 409) reach the client through core.api.exception_handler.
        received = services.kpi_return_receive(
            actor=request.user,
            provider=provider,
            quarter=upload.validated_data["quarter"],
            file=file,
            file_name=file.name,
        )
        if isinstance(received, KpiReturnUpload):
            location = reverse("kpi-return-upload-detail", args=[received.pk])
            return Response(
                KpiReturnFileSerializer(received).data,
                status=status.HTTP_202_ACCEPTED,
                headers={"Location": location},
            )
        return Response(KpiReturnSerializer(received).data, status=status.HTTP_201_CREATED)


class KpiTriggerSerializer(serializers.ModelSerializer):
    provider = ProviderRefSerializer(read_only=True)

    class Meta:
        model = KpiTrigger
        fields = ["id", "provider", "quarter", "level", "missing", "created_at", "reset"]
        read_only_fields = fields


class KpiTriggerViewSet(viewsets.ReadOnlyModelViewSet):
    """K7: one trigger per late or missing return; a provider sees its own."""

    serializer_class = KpiTriggerSerializer
    filterset_fields = ["quarter", "level"]

    def get_queryset(self):
        return KpiTrigger.objects.visible_to(self.request.user).select_related("provider")


# --- K10: challenges of a No Response --------------------------------------------------------------


class ChallengeSerializer(serializers.ModelSerializer):
    """A challenge with its offer's delivered / seen / answered record beside it (P7, P11)."""

    provider = ProviderRefSerializer(source="offer.provider", read_only=True)
    branch = ProviderRefSerializer(source="offer.branch", read_only=True)
    package = serializers.CharField(source="offer.package.reference", read_only=True)
    excluded = serializers.BooleanField(
        read_only=True, help_text="True when upheld: the offer is left out of K1"
    )
    rate_before = serializers.FloatField(read_only=True, allow_null=True)
    rate_after = serializers.FloatField(read_only=True, allow_null=True)
    offer_record = serializers.SerializerMethodField(
        help_text="The offer's sent_at, deadline, email_state, viewed_at, responded_at"
    )

    class Meta:
        model = Challenge
        fields = [
            "id",
            "offer",
            "status",
            "reason",
            "provider",
            "branch",
            "package",
            "quarter",
            "made_at",
            "comment",
            "decided_at",
            "excluded",
            "rate_before",
            "rate_after",
            "offer_record",
        ]
        read_only_fields = fields

    def get_offer_record(self, challenge) -> dict:
        offer = challenge.offer
        return {
            "sent_at": serializers.DateTimeField().to_representation(offer.sent_at),
            "deadline": serializers.DateTimeField().to_representation(offer.deadline),
            "placement_response": offer.placement_response,
            "email_state": email_word(challenge),
            "viewed_at": offer.viewed_at
            and serializers.DateTimeField().to_representation(offer.viewed_at),
            "responded_at": offer.responded_at
            and serializers.DateTimeField().to_representation(offer.responded_at),
        }


class ChallengeCreateSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class ChallengeDecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, required=False, default="")


class OfferChallengeView(APIView):
    """K10: `POST /offers/{id}/challenge/` `{reason}`: the offer's provider challenges its No
    Response; 409 unless it is a No Response within 28 days of its quarter's end, not challenged."""

    @extend_schema(request=ChallengeCreateSerializer, responses={201: ChallengeSerializer})
    def post(self, request, pk: int):
        data = ChallengeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        offer = get_object_or_404(Offer.objects.visible_to(request.user), pk=pk)  # A1: 404
        # The service checks the role (403), the state (409) and the reason (400), each reaching
        # the client through core.api.exception_handler.
        challenge = services.challenge_make(
            actor=request.user, offer=offer, reason=data.validated_data["reason"]
        )
        return Response(
            ChallengeSerializer(challenge_queryset(request.user).get(pk=challenge.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class ChallengeViewSet(viewsets.ReadOnlyModelViewSet):
    """K10: challenges, scoped (A1: a provider its own, the council all); contract managers
    uphold or reject each once, with a comment (twice: 409)."""

    serializer_class = ChallengeSerializer
    filterset_fields = ["status", "offer", "quarter"]

    def get_queryset(self):
        return challenge_queryset(self.request.user).order_by("made_at", "id")

    def _decide(self, request, uphold: bool):
        if not may_decide_challenges(request.user):  # 403 before any lookup
            raise PermissionDenied("Only contract managers decide challenges.")
        challenge = self.get_object()
        data = ChallengeDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.challenge_decide(
            actor=request.user,
            challenge=challenge,
            uphold=uphold,
            comment=data.validated_data["comment"],
        )
        return Response(ChallengeSerializer(self.get_queryset().get(pk=challenge.pk)).data)

    @extend_schema(request=ChallengeDecisionSerializer, responses=ChallengeSerializer)
    @action(detail=True, methods=["post"])
    def uphold(self, request, pk=None):
        return self._decide(request, uphold=True)

    @extend_schema(request=ChallengeDecisionSerializer, responses=ChallengeSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, uphold=False)
