import django_filters
from django.db.models import Q

from .models import Ward, WardRequest, WardRequestAction, WardRequestStatus


class WardFilter(django_filters.FilterSet):
    """Shared by the wards page and `/api/v1/wards/` (STYLE 4)."""

    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    district = django_filters.CharFilter(lookup_expr="iexact")
    q = django_filters.CharFilter(method="search", label="Name or code")

    class Meta:
        model = Ward
        fields = ["code", "name", "district"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__iexact=value))


class WardRequestFilter(django_filters.FilterSet):
    """Shared by the requests pages and `/api/v1/ward-requests/` (STYLE 4). The queryset it gets
    is already scoped (`WardRequest.objects.visible_to`), so no filter can reach past A1."""

    status = django_filters.ChoiceFilter(choices=WardRequestStatus.choices)
    action = django_filters.ChoiceFilter(choices=WardRequestAction.choices)
    provider = django_filters.CharFilter(field_name="branch__provider__ref", lookup_expr="iexact")
    branch = django_filters.NumberFilter(field_name="branch_id")
    ward = django_filters.CharFilter(field_name="ward__code", lookup_expr="iexact")
    district = django_filters.CharFilter(field_name="ward__district", lookup_expr="iexact")

    class Meta:
        model = WardRequest
        fields = ["status", "action", "provider", "branch", "ward", "district"]
