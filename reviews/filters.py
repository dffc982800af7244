"""One FilterSet for the review lists, shared by the pages, the API and the CSV (STYLE 4)."""

import django_filters

from .models import Review, ReviewOutcome, ReviewStatus


class ReviewFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)
    outcome = django_filters.ChoiceFilter(choices=ReviewOutcome.choices)
    provider = django_filters.CharFilter(
        field_name="provider__ref", lookup_expr="iexact", label="Provider reference"
    )

    class Meta:
        model = Review
        fields = ["status", "outcome", "provider"]
