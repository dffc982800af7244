"""Shared by the brokerage pages: who may do what, and time left before a deadline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from core.models import PortalSettings

from ..models import (
    Offer,
    Outcome,
    Package,
)
from ..permissions import NAVIGATORS, PACKAGE_READERS

PAGE_SIZE = 50


# --- Who may do what -----------------------------------------------------------------------------


def _role_required(*roles: str, write: bool = False) -> Callable:
    """Signed-in users with one of `roles` (administrators always); others get 403.

    With `write=False`, package readers may GET but only `roles` may POST.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            allowed = roles if write or request.method == "POST" else PACKAGE_READERS
            if not request.user.has_role(*allowed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


package_readers = _role_required(*NAVIGATORS)
navigators_only = _role_required(*NAVIGATORS, write=True)


def _package_or_404(request: HttpRequest, pk: int) -> Package:
    return get_object_or_404(
        Package.objects.visible_to(request.user).select_related("ward", "created_by"), pk=pk
    )


# --- Time left before a deadline ---------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def time_left(deadline: datetime, now: datetime) -> str:
    """'2 days 3 hours left', '5 hours 10 minutes left', '12 minutes left' or 'Deadline passed'."""
    seconds = int((deadline - now).total_seconds())
    if seconds <= 0:
        return "Deadline passed"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = max(rest // 60, 1) if not (days or hours) else rest // 60
    if days:
        parts = [_plural(days, "day")] + ([_plural(hours, "hour")] if hours else [])
    elif hours:
        parts = [_plural(hours, "hour")] + ([_plural(minutes, "minute")] if minutes else [])
    else:
        parts = [_plural(minutes, "minute")]
    return " ".join(parts) + " left"


def _mark_deadlines(offers, now: datetime, warning: int | None = None) -> list[Offer]:
    """Give each offer `time_left`, `answerable` and `deadline_soon` (under `warning` seconds
    left, by default the deadline warning setting)."""
    if warning is None:
        warning = PortalSettings.load().deadline_warning_hours * 3600
    offers = list(offers)
    for offer in offers:
        offer.time_left = time_left(offer.deadline, now)
        remaining = (offer.deadline - now).total_seconds()
        offer.deadline_soon = 0 < remaining < warning
        offer.answerable = offer.outcome == Outcome.OPEN and remaining > 0
    return offers
