from rest_framework import serializers, viewsets

from .filters import WardFilter
from .models import Ward


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
