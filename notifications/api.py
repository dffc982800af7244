"""`GET /api/v1/notifications/`: the e-mails the caller may see, of every kind (P7, P10; A1)."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets

from core.api import EstimatedCountPagination

from .filters import NotificationFilter
from .models import Notification


class BranchRefSerializer(serializers.Serializer):
    ref = serializers.CharField()
    name = serializers.CharField()


class NotificationSerializer(serializers.ModelSerializer):
    offer = serializers.IntegerField(
        source="offer_id", allow_null=True, read_only=True, help_text="The offer it is about"
    )
    branch = BranchRefSerializer(allow_null=True, read_only=True)
    to = serializers.CharField(source="to_email", help_text="Addresses, comma-separated")

    class Meta:
        model = Notification
        fields = [
            "id",
            "offer",
            "branch",
            "kind",
            "state",
            "to",
            "created_at",
            "sent_at",
            "attempts",
        ]


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The list only, as API.md has it; each row links to its offer for more."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    # An e-mail an offer and more: the council's list is the market's (issue 13), so no full
    # count each page, as GET /offers/ (README, "API beyond API.md").
    pagination_class = EstimatedCountPagination

    def get_queryset(self):
        return (
            Notification.objects.visible_to(self.request.user)
            .select_related("branch")
            .order_by("-created_at", "-id")
        )
