"""Shared by the KPI pages: who may see what."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from ..permissions import may_manage_kpi, may_read_own_kpis
from ..selectors import (
    RateWindow,
)

# Chart labels short enough to sit beside their bars; the table beside gives the full names.
SHORT_LEVEL_NAMES = {
    "homecare_single": "Homecare, single carer",
    "homecare_two": "Homecare, two carer",
    "homecare_variable": "Homecare, variable carer",
    "stcah_single": "STCAH, single carer",
    "stcah_two": "STCAH, two carer",
    "short_breaks_rolling": "Short breaks, rolling",
    "homecare_single_with_short_breaks": "Single carer + short breaks",
}
PAGE_SIZE = 50
SELF_VIEW_QUARTERS = 4


def council_kpi(view):
    """Contract managers (and administrators); everyone else 403 (A2)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not may_manage_kpi(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def provider_only(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not may_read_own_kpis(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _period(request, default: str = "rolling-90") -> RateWindow:
    try:
        return RateWindow.parse(request.GET.get("period") or default)
    except ValueError as exc:
        raise Http404(str(exc)) from exc
