"""Figures for the home page (core's home view calls `panels` through PORTAL_HOME_PANELS): a
reviewer's reviews awaiting sign-off, packages due one and reviews returned; a provider's reviews
to complete and those overdue (R1–R3)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse

from providers.models import Role

from .models import Review, ReviewStatus
from .selectors import packages_due
from .services import council_today


def _reviewer_panels() -> list[dict]:
    counts = Review.objects.aggregate(
        submitted=Count("pk", filter=Q(status=ReviewStatus.SUBMITTED)),
        returned=Count("pk", filter=Q(status=ReviewStatus.RETURNED)),
    )
    reviews = reverse("reviews:list")
    return [
        {
            "count": counts["submitted"],
            "text": "reviews submitted, awaiting your sign-off",
            "url": f"{reviews}?status=submitted",
            "warning": counts["submitted"] > 0,
        },
        {
            "count": packages_due(council_today()).count(),
            "text": "packages due a review",
            "url": reverse("reviews:due"),
        },
        {
            "count": counts["returned"],
            "text": "reviews returned to adult social care",
            "url": reverse("reviews:returned"),
        },
    ]


def _provider_panels(user) -> list[dict]:
    today = council_today()
    counts = (
        Review.objects.visible_to(user)
        .filter(status=ReviewStatus.DELEGATED)
        .aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
    )
    reviews = f"{reverse('reviews:list')}?status=delegated"
    return [
        {"count": counts["open"], "text": "reviews to complete", "url": reviews},
        {
            "count": counts["overdue"],
            "text": "reviews overdue",
            "url": reviews,
            "warning": counts["overdue"] > 0,
        },
    ]


def panels(user) -> list[dict]:
    """Numbered panels for this user's home page: [{count, text, url, warning?}]."""
    if user.is_provider_user:
        return _provider_panels(user)
    if user.role == Role.REVIEWER:
        return _reviewer_panels()
    return []
