"""The shortlist and award API (L1, L2; API.md): `GET /packages/{id}/shortlist/` ranked by the
decision matrix with each part's `{value, score, weight}`, and `POST /packages/{id}/award/`
`{offer, feedback, reason}`. Refusals reach the client through `core.api.exception_handler`."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from brokerage.api import (
    NamedRefSerializer,
    PackageAccess,
    PackageSerializer,
    ShortlistPartsSerializer,
)
from brokerage.models import Offer, Package

from .matrix import shortlist
from .services import award


class AwardSerializer(serializers.Serializer):
    offer = serializers.IntegerField()
    feedback = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ShortlistRowSerializer(serializers.Serializer):
    """One offer made on the shortlist (L1), as `Ranked.as_dict` gives it: documented so the
    schema says a list of these with the four parts API.md names."""

    offer = serializers.IntegerField()
    rank = serializers.IntegerField(min_value=1)
    provider = NamedRefSerializer()
    branch = NamedRefSerializer()
    score = serializers.FloatField(min_value=0, max_value=1, help_text="The weighted mean (0-1)")
    parts = ShortlistPartsSerializer()
    offered_start_date = serializers.DateField(allow_null=True)
    responded_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    outcome = serializers.CharField()


def _package(request, pk: int) -> Package:
    return get_object_or_404(Package.objects.visible_to(request.user), pk=pk)


class ShortlistView(APIView):
    """L1: the offers made, best first: `[{offer, provider, branch, score, parts, rank, ...}]`."""

    permission_classes = [PackageAccess]

    @extend_schema(responses=ShortlistRowSerializer(many=True))
    def get(self, request, pk: int):
        rows = [row.as_dict() for row in shortlist(_package(request, pk))]
        return Response(ShortlistRowSerializer(rows, many=True).data)


class AwardView(APIView):
    """L2: award one offer; another than the top-ranked needs `reason` (400 without)."""

    permission_classes = [PackageAccess]

    @extend_schema(request=AwardSerializer, responses=PackageSerializer)
    def post(self, request, pk: int):
        package = _package(request, pk)
        data = AwardSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        offer = Offer.objects.filter(pk=data.validated_data["offer"], package=package).first()
        if offer is None:
            raise ValidationError({"offer": ["No offer with that id for this package."]})
        award(
            actor=request.user,
            package=package,
            offer=offer,
            **{k: data.validated_data[k] for k in ("feedback", "reason")},
        )
        package.refresh_from_db()
        return Response(PackageSerializer(package, context={"request": request}).data)
