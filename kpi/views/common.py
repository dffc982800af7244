"""Shared by the KPI pages: who may see what."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from ..permissions import may_manage_kpi, may_read_own_kpis
from ..selectors import RateWindow

PAGE_SIZE = 50


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
