from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from core.api import CSV_DOWNLOAD_RENDERERS
from providers.models import Branch

from .filters import WardFilter, WardRequestFilter
from .models import RegisterVersion, Ward, WardRequest, WardRequestAction
from .permissions import may_ask_for_wards, may_decide_ward_requests, may_read_register
from .selectors import register_changes, register_since, register_versions
from .services import (
    register_csv_response,
    ward_request_create,
    ward_request_withdraw,
    ward_requests_approve,
    ward_requests_reject,
)


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
    published_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = RegisterVersion
        fields = ["number", "published_at", "published_by", "note", "added", "removed"]

    def to_representation(self, version):
        """Council notes and who published stay with the council (A2); providers see the rest."""
        data = super().to_representation(version)
        request = self.context.get("request")
        if request is not None and not may_read_register(request.user):
            data["note"] = ""
            data["published_by"] = None
        return data


class RegisterVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """The published versions of the ward register, newest first (W2).

    Every signed-in user may list the versions (numbers, dates and counts are no provider's
    data). A provider user's download and comparison hold only its own coverage (A1: a provider
    sees only the branches it may see); council staff get the whole register.
    """

    queryset = register_versions()
    serializer_class = RegisterVersionSerializer
    lookup_field = "number"
    lookup_value_regex = r"\d+"

    def get_renderers(self):
        """CSV downloads also answer `Accept: text/csv`."""
        if self.action == "export":
            return [renderer() for renderer in CSV_DOWNLOAD_RENDERERS]
        return super().get_renderers()

    # Routed in api_urls.py as `{n}/export.csv` (API.md), not by the router, which adds a slash.
    @extend_schema(
        operation_id="register_versions_export_csv",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def export(self, request, number=None):
        version = self.get_object()
        return register_csv_response(version.number, request.user)

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
        changes = register_changes(number=version.number, since=since, user=request.user)
        return Response(RegisterChangesSerializer(changes).data)


# --- Ward requests (W3) ---------------------------------------------------------------------------


class WardRequestSerializer(serializers.ModelSerializer):
    branch = serializers.SerializerMethodField()
    provider = serializers.SerializerMethodField()
    ward = WardSerializer()
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    version = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = WardRequest
        fields = [
            "id",
            "branch",
            "provider",
            "ward",
            "action",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "comment",
            "version",
        ]

    def get_branch(self, obj) -> dict:
        return {"id": obj.branch_id, "ref": obj.branch.ref, "name": obj.branch.name}

    def get_provider(self, obj) -> dict:
        return {"ref": obj.branch.provider.ref, "name": obj.branch.provider.name}


class WardRequestCreateSerializer(serializers.Serializer):
    """`{branch (id or ref), ward (code) or wards (codes), action, reason}` (API.md)."""

    branch = serializers.CharField()
    ward = serializers.CharField(required=False)
    wards = serializers.ListField(child=serializers.CharField(), required=False, max_length=500)
    action = serializers.ChoiceField(choices=WardRequestAction.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate_branch(self, value: str) -> Branch:
        branches = Branch.objects.visible_to(self.context["request"].user)
        matches = list(
            branches.filter(pk=int(value)) if value.isdigit() else branches.filter(ref=value)
        )
        if not matches and value.isdigit():
            matches = list(branches.filter(ref=value))
        if len(matches) != 1:
            raise serializers.ValidationError(
                f"No branch '{value}' among yours"
                if not matches
                else f"More than one branch has reference '{value}'; give its id"
            )
        return matches[0]

    def validate(self, attrs: dict) -> dict:
        codes = [attrs["ward"]] if attrs.get("ward") else attrs.get("wards") or []
        if not codes:
            raise ValidationError({"ward": ["Give a ward code"]})
        wards = {w.code: w for w in Ward.objects.filter(code__in=codes)}
        if unknown := [c for c in codes if c not in wards]:
            raise ValidationError({"ward": [f"No ward with code '{c}'" for c in unknown]})
        attrs["ward_objects"] = [wards[c] for c in codes]
        return attrs


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class BulkDecisionSerializer(DecisionSerializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=500)


class WardRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Ward requests (W3): providers ask, contract managers approve or reject.

    Everyone sees only the requests of branches they may see (A1): another provider's request is
    404. Provider users create and withdraw; contract managers approve and reject (403 for others).
    """

    serializer_class = WardRequestSerializer
    filterset_class = WardRequestFilter

    def get_queryset(self):
        return WardRequest.objects.visible_to(self.request.user).select_related(
            "branch__provider", "ward", "requested_by", "decided_by", "version"
        )

    def _read(self, requests) -> list:
        return WardRequestSerializer(
            self.get_queryset().filter(pk__in=[r.pk for r in requests]).order_by("pk"), many=True
        ).data

    @extend_schema(request=WardRequestCreateSerializer, responses={201: WardRequestSerializer})
    def create(self, request):
        if not may_ask_for_wards(request.user):
            raise PermissionDenied("Only provider users ask for ward changes.")
        body = WardRequestCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        created = ward_request_create(
            actor=request.user,
            branch=body.validated_data["branch"],
            wards=body.validated_data["ward_objects"],
            action=body.validated_data["action"],
            reason=body.validated_data["reason"],
        )
        data = self._read(created)
        single = bool(body.validated_data.get("ward"))
        return Response(data[0] if single else {"results": data}, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionSerializer, responses=WardRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve: the coverage change takes effect now, in a new register version. 409 when
        already decided (a second approval, or the loser of a race)."""
        ward_request = self.get_object()
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ward_requests_approve(
            actor=request.user,
            ids=[ward_request.pk],
            comment=body.validated_data["comment"],
        )
        return Response(self._read([ward_request])[0])

    @extend_schema(request=DecisionSerializer, responses=WardRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject with a comment the provider will see; 409 when already decided."""
        ward_request = self.get_object()
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ward_requests_reject(
            actor=request.user,
            ids=[ward_request.pk],
            comment=body.validated_data["comment"],
        )
        return Response(self._read([ward_request])[0])

    @extend_schema(request=None, responses=WardRequestSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The provider takes back its pending request; 409 once decided."""
        ward_request = self.get_object()
        ward_request_withdraw(actor=request.user, request=ward_request)
        return Response(self._read([ward_request])[0])

    def _bulk(self, request, fn):
        # The role first: a provider posting a bad body learns it may not, not what a body needs.
        if not may_decide_ward_requests(request.user):
            raise PermissionDenied("Only contract managers approve or reject ward requests.")
        body = BulkDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = body.validated_data["ids"]
        visible = set(self.get_queryset().filter(pk__in=ids).values_list("pk", flat=True))
        if missing := sorted(set(ids) - visible):
            raise NotFound(f"No ward request {', '.join(map(str, missing))}")
        fn(actor=request.user, ids=ids, comment=body.validated_data["comment"])
        return Response({"results": self._read(self.get_queryset().filter(pk__in=ids))})

    @extend_schema(request=BulkDecisionSerializer, responses=WardRequestSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="bulk-approve")
    def bulk_approve(self, request):
        """Approve many requests in one register version; all or nothing."""
        return self._bulk(request, ward_requests_approve)

    @extend_schema(request=BulkDecisionSerializer, responses=WardRequestSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="bulk-reject")
    def bulk_reject(self, request):
        """Reject many requests with one comment; all or nothing."""
        return self._bulk(request, ward_requests_reject)
