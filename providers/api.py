"""Provider and branch API: read-only, scoped (A1)."""

from rest_framework import serializers, viewsets

from .models import Branch, Provider


class ProviderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Provider
        fields = ["ref", "name", "pdps_status", "cqc_rating", "joined_on"]


class BranchSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    wards = serializers.SerializerMethodField()

    class Meta:
        model = Branch
        fields = ["id", "ref", "name", "provider", "notification_email", "is_active", "wards"]

    def get_wards(self, branch) -> list[str]:
        return sorted(c.ward.code for c in branch.coverage.all() if c.ended_at is None)


class ProviderViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProviderSerializer
    lookup_field = "ref"
    filterset_fields = ["pdps_status", "cqc_rating"]

    def get_queryset(self):
        return Provider.objects.visible_to(self.request.user).order_by("ref")


class BranchViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = BranchSerializer
    filterset_fields = ["is_active"]

    def get_queryset(self):
        return (
            Branch.objects.visible_to(self.request.user)
            .select_related("provider")
            .prefetch_related("coverage__ward")
            .order_by("provider__ref", "ref")
        )
