import django_filters

from .models import Ward


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
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(code__iexact=value))
