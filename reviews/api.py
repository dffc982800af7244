"""Trusted reviews API, as API.md says (R1–R3). Scoping through `visible_to` (A1: another
provider's review is 404); the services' refusals reach the client through
`core.api.exception_handler` (400 with field messages, 403, 409 with a plain `detail`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from brokerage.api import RefNameSerializer
from brokerage.models import Package
from core.api import CSV_DOWNLOAD_RENDERERS
from providers.models import Provider

from . import services
from .exports import reviews_csv_response
from .filters import ReviewFilter
from .models import Review
from .permissions import may_complete_reviews, may_delegate_reviews
from .selectors import days_between, review_queryset, review_summary


class ReviewSerializer(serializers.ModelSerializer):
    package = serializers.IntegerField(source="package_id", read_only=True)
    package_reference = serializers.CharField(source="package.reference", read_only=True)
    provider = RefNameSerializer(read_only=True)
    branch = RefNameSerializer(read_only=True)
    days_to_submit = serializers.SerializerMethodField()
    days_to_sign_off = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "package",
            "package_reference",
            "provider",
            "branch",
            "status",
            "outcome",
            "due_on",
            "delegated_at",
            "current_hours",
            "proposed_hours",
            "outcomes",
            "capacity_concern",
            "submitted_at",
            "signed_off_at",
            "days_to_submit",
            "days_to_sign_off",
        ]
        read_only_fields = fields

    def get_days_to_submit(self, review) -> float | None:
        return days_between(review.delegated_at, review.submitted_at)

    def get_days_to_sign_off(self, review) -> float | None:
        return days_between(review.submitted_at, review.signed_off_at)


class DelegateSerializer(serializers.Serializer):
    package = serializers.IntegerField()
    due_on = serializers.DateField(required=False, allow_null=True, default=None)


class DelegateDueSerializer(serializers.Serializer):
    provider = serializers.CharField(help_text="The provider's reference (or its id)")
    due_on = serializers.DateField(required=False, allow_null=True, default=None)


class SubmitSerializer(serializers.Serializer):
    current_hours = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True, default=None
    )
    proposed_hours = serializers.DecimalField(max_digits=5, decimal_places=2)
    outcomes = serializers.CharField(max_length=50000)
    capacity_concern = serializers.BooleanField(required=False, default=False)


class SummarySerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    median_days_to_submit = serializers.FloatField(allow_null=True)
    median_days_to_sign_off = serializers.FloatField(allow_null=True)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


class ReviewViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter

    def get_queryset(self):
        return review_queryset(self.request.user).order_by("due_on", "id")

    def _one(self, review: Review, code=status.HTTP_200_OK) -> Response:
        return Response(
            ReviewSerializer(review_queryset(self.request.user).get(pk=review.pk)).data, status=code
        )

    @extend_schema(request=DelegateSerializer, responses={201: ReviewSerializer})
    def create(self, request, *args, **kwargs):
        """R1: delegate one awarded package's review to the provider holding it."""
        _require(may_delegate_reviews(request.user), "Only a reviewer can delegate a review.")
        data = DelegateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        package = (
            Package.objects.visible_to(request.user)
            .filter(pk=data.validated_data["package"])
            .first()
        )
        if package is None:
            raise ValidationError({"package": ["No package with that id."]})
        review = services.review_delegate(
            actor=request.user, package=package, due_on=data.validated_data["due_on"]
        )
        return self._one(review, status.HTTP_201_CREATED)

    @extend_schema(
        request=DelegateDueSerializer,
        responses=inline_serializer("DelegatedReviews", {"reviews": ReviewSerializer(many=True)}),
    )
    @action(detail=False, methods=["post"], url_path="delegate-due")
    def delegate_due(self, request):
        """R1: delegate every package the provider holds that is due a review."""
        _require(may_delegate_reviews(request.user), "Only a reviewer can delegate a review.")
        data = DelegateDueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = str(data.validated_data["provider"]).strip()
        provider = Provider.objects.filter(ref__iexact=key).first()
        if provider is None and key.isdigit():
            provider = Provider.objects.filter(pk=int(key)).first()
        if provider is None:
            raise ValidationError({"provider": ["No provider with that reference."]})
        reviews = services.review_delegate_due(
            actor=request.user, provider=provider, due_on=data.validated_data["due_on"]
        )
        rows = review_queryset(request.user).filter(pk__in=[r.pk for r in reviews]).order_by("id")
        return Response({"reviews": ReviewSerializer(rows, many=True).data})

    @extend_schema(request=SubmitSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """R2: the provider holding the package submits the review form, once."""
        review = self.get_object()  # 404 when not yours (A1)
        _require(
            may_complete_reviews(request.user),
            "Only the provider holding the package completes its review.",
        )
        data = SubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answers = services.review_answers(review, **data.validated_data)
        return self._one(services.review_submit(actor=request.user, review=review, answers=answers))

    @extend_schema(request=None, responses=ReviewSerializer)
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request, pk=None):
        """R3: the reviewer signs off a submitted review; a reduction or increase changes hours."""
        review = self.get_object()
        _require(may_delegate_reviews(request.user), "Only a reviewer can sign off a review.")
        return self._one(services.review_sign_off(actor=request.user, review=review))

    @extend_schema(responses=SummarySerializer)
    @action(detail=False, methods=["get"])
    def summary(self, request):
        """R3: counts by outcome and the median days to submit and to sign off (with the filters)."""
        reviews = self.filter_queryset(self.get_queryset())
        summary = review_summary(reviews)
        return Response(
            {
                "counts": summary.counts,
                "median_days_to_submit": summary.median_days_to_submit,
                "median_days_to_sign_off": summary.median_days_to_sign_off,
            }
        )


class ReviewExportView(APIView):
    """`GET /reviews/export.csv` (R3): the reviews the caller may see, with the list's filters."""

    renderer_classes = CSV_DOWNLOAD_RENDERERS

    @extend_schema(responses={(200, "text/csv"): str})
    def get(self, request):
        filterset = ReviewFilter(request.GET, queryset=review_queryset(request.user))
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return reviews_csv_response(filterset.qs.order_by("delegated_at", "id"))
