"""The wards list and the register pages (W1, W2): versions, downloads and comparisons."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from core.csvio import csv_response

from .filters import WardFilter
from .models import Ward
from .permissions import council_only
from .selectors import (
    CHANGE_COLUMNS,
    register_changes,
    register_changes_rows,
    register_since,
    register_versions,
)
from .services import WARD_COLUMNS, register_csv_response


@login_required
def ward_list(request: HttpRequest) -> HttpResponse:
    filterset = WardFilter(request.GET, queryset=Ward.objects.all())
    page = Paginator(filterset.qs, 100).get_page(request.GET.get("page"))
    districts = Ward.objects.order_by("district").values_list("district", flat=True).distinct()
    return render(
        request, "wards/ward_list.html", {"filter": filterset, "page": page, "districts": districts}
    )


@login_required
def ward_list_csv(request: HttpRequest) -> HttpResponse:
    """The council's wards in the import's format `ward_code,ward_name,district` (W4)."""
    rows = Ward.objects.order_by("code").values_list("code", "name", "district")
    return csv_response("wards.csv", rows, header=WARD_COLUMNS)


@login_required
def register_version_list(request: HttpRequest) -> HttpResponse:
    """The published register versions, who published each and when, with a CSV download each
    and a form to compare any two (W2); a council page."""
    council_only(request.user)
    versions = register_versions()
    page = Paginator(versions, 50).get_page(request.GET.get("page"))
    numbers = list(versions.values_list("number", flat=True))
    return render(request, "wards/register_versions.html", {"page": page, "numbers": numbers})


@login_required
def register_version_csv(request: HttpRequest, number: int) -> HttpResponse:
    """Version `number` of the register as CSV, as through the API: council staff get the whole
    register, a provider user only the coverage of the branches it may see (A1)."""
    if not register_versions().filter(number=number).exists():
        raise Http404("No such register version.")
    return register_csv_response(number, request.user)


@login_required
def register_compare(request: HttpRequest) -> HttpResponse:
    """The compare form's target: `?version=n&since=m` goes to version n's changes since m."""
    council_only(request.user)
    number = request.GET.get("version", "")
    if not number.isdigit() or not register_versions().filter(number=int(number)).exists():
        return redirect("wards:register-versions")
    url = reverse("wards:register-version-changes", args=[int(number)])
    since = request.GET.get("since", "")
    return redirect(f"{url}?since={since}" if since else url)


def _version_and_since(request: HttpRequest, number: int):
    version = register_versions().filter(number=number).first()
    if version is None:
        raise Http404("No such register version.")
    return version, register_since(request.GET.get("since"), number)


@login_required
def register_version_changes(request: HttpRequest, number: int) -> HttpResponse:
    """Version `number` compared with `?since=` (default the one before): pairs added and removed."""
    council_only(request.user)
    error = ""
    try:
        version, since = _version_and_since(request, number)
    except ValueError:
        error = "Choose a published register version to compare with."
        version, since = register_versions().get(number=number), number - 1
    context = {
        "version": version,
        "changes": register_changes(number=number, since=since),
        "numbers": list(register_versions().values_list("number", flat=True)),
        "error": error,
    }
    return render(request, "wards/register_changes.html", context)


@login_required
def register_version_changes_csv(request: HttpRequest, number: int) -> HttpResponse:
    """The same comparison as CSV: `change,provider_ref,…,district`, added rows first."""
    council_only(request.user)
    try:
        version, since = _version_and_since(request, number)
    except ValueError as error:
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    changes = register_changes(number=version.number, since=since)
    name = f"ward-register-v{version.number}-since-v{since}.csv"
    return csv_response(name, register_changes_rows(changes), header=CHANGE_COLUMNS)
