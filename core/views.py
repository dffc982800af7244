"""The home page per role, a health check, and the not-found and server-error answers."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.module_loading import import_string
from django.views import defaults

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


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A URL no route matches: the GOV.UK page, or under /api/ the API's own `{"detail"}` body
    (an id the router refuses, such as `/api/v1/offers/1.5/`, is the API's 404 too)."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """An unhandled error: the GOV.UK page, or under /api/ a JSON `{"detail"}` body."""
    if _is_api(request):
        return JsonResponse({"detail": "Sorry, there is a problem with the service."}, status=500)
    return defaults.server_error(request)
