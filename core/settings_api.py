"""`GET /api/v1/settings/`, `PATCH /api/v1/settings/` (API.md "Settings"; administrators)."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .portal_settings import may_change_settings, settings_update, settings_values


class SettingsView(APIView):
    """`GET /settings/`, `PATCH /settings/` (administrators; API.md "Settings"): deadlines,
    reminders, the L1 weights and `kpi_exclude_urgent`; a change is audited."""

    @extend_schema(responses={200: dict})
    def get(self, request):
        if not may_change_settings(request.user):
            raise PermissionDenied("Only administrators see the portal settings.")
        return Response(settings_values())

    @extend_schema(request=dict, responses={200: dict})
    def patch(self, request):
        if not may_change_settings(request.user):
            raise PermissionDenied("Only administrators change the portal settings.")
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["Send a JSON object of settings."]})
        changes = request.data.dict() if hasattr(request.data, "dict") else dict(request.data)
        rules = settings_update(actor=request.user, changes=changes)
        return Response(settings_values(rules))
