import csv

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .filters import WardFilter
from .models import RegisterVersion, Ward
from .selectors import register_changes, register_since, register_versions
from .services import register_export_rows


class WardSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ward
        fields = ["code", "name", "district"]


class WardViewSet(viewsets.ReadOnlyModelViewSet):
    """The council's master list of wards (W1): every signed-in user may read it."""

    queryset = Ward.objects.order_by("code")
    serializer_class = WardSerializer
    filterset_class = WardFilter
    lookup_field = "code"


class RegisterPairSerializer(serializers.Serializer):
    provider_ref = serializers.CharField()
    provider_name = serializers.CharField()
    branch_ref = serializers.CharField()
    branch_name = serializers.CharField()
    ward_code = serializers.CharField()
    ward_name = serializers.CharField()
    district = serializers.CharField()


class RegisterChangesSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    since = serializers.IntegerField()
    added = RegisterPairSerializer(many=True)
    removed = RegisterPairSerializer(many=True)


class RegisterVersionSerializer(serializers.ModelSerializer):
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RegisterVersion
        fields = ["number", "published_at", "published_by", "note", "added", "removed"]


def register_csv_response(number: int) -> HttpResponse:
    """Register version `number` as a CSV download in the import's format (W2, W4)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ward-register-v{number}.csv"'
    csv.writer(response).writerows(register_export_rows(number))
    return response


class RegisterVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """The published versions of the ward register, newest first (W2).

    The register is public market information (the council publishes it), so every signed-in user,
    provider or council, may list the versions and download any of them.
    """

    queryset = register_versions()
    serializer_class = RegisterVersionSerializer
    lookup_field = "number"
    lookup_value_regex = r"\d+"

    # Routed in api_urls.py as `{n}/export.csv` (API.md), not by the router, which adds a slash.
    @extend_schema(
        operation_id="register_versions_export_csv",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def export(self, request, number=None):
        version = self.get_object()
        return register_csv_response(version.number)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since", int, description="version to compare with (default: the one before)"
            )
        ],
        responses=RegisterChangesSerializer,
    )
    @action(detail=True)
    def changes(self, request, number=None):
        """The branch-ward pairs added and removed between version `since` and this one (W2)."""
        version = self.get_object()
        try:
            since = register_since(request.query_params.get("since"), version.number)
        except ValueError as error:
            raise ValidationError({"since": [str(error)]}) from None
        changes = register_changes(number=version.number, since=since)
        return Response(RegisterChangesSerializer(changes).data)
