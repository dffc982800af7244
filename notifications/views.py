"""The outbox's page: every e-mail sent to a provider and its branches, of every kind (P7, K7).
A branch's own list is `brokerage:notifications`; both use the same table and `visible_to`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from core.paging import BoundedPaginator
from providers.models import Provider

from .models import Notification

PAGE_SIZE = 50


@login_required
def provider_notifications(request: HttpRequest, ref: str) -> HttpResponse:
    """What the user may see of the e-mails sent to this provider: an organisation user and the
    council everything, KPI triggers too; a branch user its branch's. Another provider's: 404 (A1)."""
    provider = get_object_or_404(Provider.objects.visible_to(request.user), ref=ref)
    notifications = (
        Notification.objects.visible_to(request.user)
        .filter(provider=provider)
        .select_related("branch")
        .order_by("-created_at", "-id")
    )
    # E-mails grow with every offer: a page at a time, never counted past COUNT_CAP (issue 13).
    page = BoundedPaginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "notifications/provider_notifications.html", {"provider": provider, "page": page}
    )
