"""The home page per role, a health check, the not-found and server-error answers, and the
administrator's settings page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.views import defaults

from .errors import PAGE_ERRORS, add_domain_error
from .forms import PortalSettingsForm
from .health import health
from .portal_settings import may_change_settings, settings_update, settings_values


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


@login_required
def portal_settings(request: HttpRequest) -> HttpResponse:
    """The administrator's settings page: deadlines, reminders, the L1 weights (audited)."""
    if not may_change_settings(request.user):
        raise PermissionDenied
    form = PortalSettingsForm(request.POST or None, initial=settings_values())
    if request.method == "POST" and form.is_valid():
        try:
            settings_update(actor=request.user, changes=form.cleaned_data)
        except PAGE_ERRORS as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Settings saved")
            return redirect("settings")
    return render(request, "core/settings.html", {"form": form})
