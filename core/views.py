"""The home page per role and a health check."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.module_loading import import_string

from .health import health


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Says what this person can do next, by role, with the figures that need attention.

    Apps contribute figures through settings.PORTAL_HOME_PANELS (dotted paths to `panels(user)`).
    """
    panels = [p for path in settings.PORTAL_HOME_PANELS for p in import_string(path)(request.user)]
    return render(request, "core/home.html", {"role": request.user.role, "panels": panels})


def healthz(request: HttpRequest) -> JsonResponse:
    """`{"status", "database", "broker"}`: see core/health.py for what each says."""
    body, code = health()
    return JsonResponse(body, status=code)
