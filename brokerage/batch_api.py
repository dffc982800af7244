"""Reallocation batches and widening in the API (L4, L5; API.md): `POST /batches/`,
`GET /batches/`, `GET /batches/{id}/`, `POST /batches/{id}/send/`, `POST /packages/{id}/widen/`.
Navigators act; contract managers (and reviewers) read; a provider user sees only the batches it
was offered (A1, 404 otherwise)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .models import Package, ReallocationBatch
from .permissions import may_act_on_packages


class BatchSerializer(serializers.ModelSerializer):
    packages = serializers.SerializerMethodField()
    from_provider = serializers.SerializerMethodField()

    class Meta:
        model = ReallocationBatch
        fields = [
            "id",
            "postcode_district",
            "reason",
            "status",
            "packages",
            "from_provider",
            "created_at",
            "sent_at",
        ]

    def get_packages(self, batch) -> list[int]:
        return sorted(p.pk for p in batch.packages.all())

    def get_from_provider(self, batch) -> dict | None:
        provider = batch.from_provider
        return None if provider is None else {"ref": provider.ref, "name": provider.name}


class BatchCreateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    packages = serializers.ListField(child=serializers.IntegerField(), max_length=5000)


class BatchViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = BatchSerializer

    def get_queryset(self):
        return (
            ReallocationBatch.objects.visible_to(self.request.user)
            .select_related("from_provider")
            .prefetch_related("packages")
            .order_by("-created_at", "-id")
        )

    def _navigators_only(self):
        if not may_act_on_packages(self.request.user):
            raise PermissionDenied("Only care navigators make and send reallocation batches.")

    @extend_schema(request=BatchCreateSerializer, responses={201: dict})
    def create(self, request, *args, **kwargs):
        self._navigators_only()
        data = BatchCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batches = services.batches_create(
            actor=request.user,
            package_ids=data.validated_data["packages"],
            reason=data.validated_data["reason"],
        )
        return Response(
            {"batches": BatchSerializer(batches, many=True).data}, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        self._navigators_only()
        batch = self.get_object()
        return Response({"offers": services.batch_send(actor=request.user, batch=batch)})


class WidenSerializer(serializers.Serializer):
    wards = serializers.ListField(child=serializers.CharField(max_length=9), max_length=500)


class PackageWidenView(APIView):
    """L5: `{wards: [codes]}` → `{"offers": n}`; 409 unless the package is offered."""

    @extend_schema(request=WidenSerializer, responses={200: dict})
    def post(self, request, pk: int):
        if not may_act_on_packages(request.user):
            raise PermissionDenied("Only care navigators send packages to more wards.")
        package = get_object_or_404(Package.objects.visible_to(request.user), pk=pk)
        data = WidenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wards = services.wards_from_codes(data.validated_data["wards"])
        made = services.package_widen(actor=request.user, package=package, wards=wards)
        return Response({"offers": made})
