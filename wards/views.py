from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .api import register_csv_response
from .filters import WardFilter
from .models import Ward
from .selectors import register_changes, register_since, register_versions


@login_required
def ward_list(request: HttpRequest) -> HttpResponse:
    filterset = WardFilter(request.GET, queryset=Ward.objects.all())
    page = Paginator(filterset.qs, 100).get_page(request.GET.get("page"))
    districts = Ward.objects.order_by("district").values_list("district", flat=True).distinct()
    return render(
        request, "wards/ward_list.html", {"filter": filterset, "page": page, "districts": districts}
    )


def _council_only(request: HttpRequest) -> None:
    if not request.user.is_council:
        raise PermissionDenied("The ward register pages are for council staff.")


@login_required
def register_version_list(request: HttpRequest) -> HttpResponse:
    """The published register versions with a CSV download each (W2); a council page."""
    _council_only(request)
    page = Paginator(register_versions(), 50).get_page(request.GET.get("page"))
    return render(request, "wards/register_versions.html", {"page": page})


@login_required
def register_version_csv(request: HttpRequest, number: int) -> HttpResponse:
    """Version `number` of the register as CSV. The register is public market information, so any
    signed-in user may download it, as through the API."""
    if not register_versions().filter(number=number).exists():
        raise Http404("No such register version.")
    return register_csv_response(number)


@login_required
def register_version_changes(request: HttpRequest, number: int) -> HttpResponse:
    """Version `number` compared with `?since=` (default the one before): pairs added and removed."""
    _council_only(request)
    versions = register_versions()
    version = versions.filter(number=number).first()
    if version is None:
        raise Http404("No such register version.")
    error = ""
    try:
        since = register_since(request.GET.get("since"), number)
    except ValueError:
        error = "Choose a published register version to compare with."
        since = number - 1
    context = {
        "version": version,
        "changes": register_changes(number=number, since=since),
        "numbers": list(versions.values_list("number", flat=True)),
        "error": error,
    }
    return render(request, "wards/register_changes.html", context)
