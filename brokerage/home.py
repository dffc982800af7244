"""Figures for the home page, so each person sees at once what needs doing (core's home view calls
`panels` through settings.PORTAL_HOME_PANELS, keeping core free of brokerage imports)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from core.models import PortalSettings

from .models import Offer, Package, PackageStatus, PlacementResponse


def _navigator_panels() -> list[dict]:
    """One query over the queued and offered packages alone (never every offer): a package is
    ready to award when an offer of its current round (L4) was made."""
    made = Offer.objects.filter(
        package=OuterRef("pk"),
        round=OuterRef("round"),
        placement_response=PlacementResponse.OFFER_MADE,
    )
    counts = Package.objects.filter(
        status__in=[PackageStatus.QUEUED, PackageStatus.OFFERED]
    ).aggregate(
        queued=Count("pk", filter=Q(status=PackageStatus.QUEUED)),
        uncovered=Count("pk", filter=Q(status=PackageStatus.QUEUED, uncovered_at__isnull=False)),
        to_award=Count("pk", filter=Q(Exists(made), status=PackageStatus.OFFERED)),
    )
    packages = reverse("brokerage:packages")
    return [
        {
            "count": counts["queued"],
            "text": "queued for the next distribution",
            "url": f"{packages}?status=queued",
        },
        {
            "count": counts["uncovered"],
            "text": "queued for wards no branch covers",
            "url": f"{packages}?status=queued&uncovered=true",
            "warning": counts["uncovered"] > 0,
        },
        {
            "count": counts["to_award"],
            "text": "with offers made, ready to award",
            "url": f"{packages}?status=offered",
        },
    ]


def _provider_panels(user) -> list[dict]:
    now = timezone.now()
    warn = now + timedelta(hours=PortalSettings.load().deadline_warning_hours)
    waiting = Offer.objects.visible_to(user).awaiting_answer().filter(deadline__gt=now)
    counts = waiting.aggregate(open=Count("pk"), soon=Count("pk", filter=Q(deadline__lte=warn)))
    inbox = reverse("brokerage:inbox")
    return [
        {"count": counts["open"], "text": "offers waiting for your answer", "url": inbox},
        {
            "count": counts["soon"],
            "text": "with their deadline near",
            "url": inbox,
            "warning": counts["soon"] > 0,
        },
    ]


def panels(user) -> list[dict]:
    """Numbered panels for this user's home page: [{count, text, url, warning?}]."""
    if user.is_provider_user:
        return _provider_panels(user)
    if user.has_role("navigator"):
        return _navigator_panels()
    return []
