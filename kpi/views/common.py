"""Shared by the KPI pages: who may see what."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from providers.models import User

from ..permissions import may_manage_kpi, may_read_own_kpis
from ..selectors import RateWindow

PAGE_SIZE = 50


def _only(may: Callable[[User], bool], view):
    """Signed-in users for whom `may` holds; everyone else 403, before any lookup (A2)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not may(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def council_kpi(view):
    """Contract managers (and administrators); everyone else 403 (A2)."""
    return _only(may_manage_kpi, view)


def provider_only(view):
    """Provider users, for their own figures; everyone else 403."""
    return _only(may_read_own_kpis, view)


def _period(request, default: str = "rolling-90") -> RateWindow:
    try:
        return RateWindow.parse(request.GET.get("period") or default)
    except ValueError as exc:
        raise Http404(str(exc)) from exc
