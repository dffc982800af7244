"""The outbox list's filters (STYLE 4): `offer`, `kind`, `state` (API.md `GET /notifications/`)."""

from __future__ import annotations

import django_filters

from .models import Notification, NotificationKind, NotificationState


class NotificationFilter(django_filters.FilterSet):
    offer = django_filters.NumberFilter(method="filter_offer", label="Offer id")
    kind = django_filters.ChoiceFilter(choices=NotificationKind.choices)
    state = django_filters.ChoiceFilter(choices=NotificationState.choices)

    class Meta:
        model = Notification
        fields = ["offer", "kind", "state"]

    def filter_offer(self, queryset, name, value):
        return queryset.about("brokerage", "offer", int(value))
