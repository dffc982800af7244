from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .api import register_csv_response
from .filters import WardFilter
from .models import Ward
from .selectors import register_versions


@login_required
def ward_list(request: HttpRequest) -> HttpResponse:
    filterset = WardFilter(request.GET, queryset=Ward.objects.all())
    page = Paginator(filterset.qs, 100).get_page(request.GET.get("page"))
    districts = Ward.objects.order_by("district").values_list("district", flat=True).distinct()
    return render(
        request, "wards/ward_list.html", {"filter": filterset, "page": page, "districts": districts}
    )


@login_required
def register_version_list(request: HttpRequest) -> HttpResponse:
    """The published register versions with a CSV download each (W2); a council page."""
    if not request.user.is_council:
        raise PermissionDenied("The register versions page is for council staff.")
    page = Paginator(register_versions(), 50).get_page(request.GET.get("page"))
    return render(request, "wards/register_versions.html", {"page": page})


@login_required
def register_version_csv(request: HttpRequest, number: int) -> HttpResponse:
    """Version `number` of the register as CSV. The register is public market information, so any
    signed-in user may download it, as through the API."""
    if not register_versions().filter(number=number).exists():
        raise Http404("No such register version.")
    return register_csv_response(number)
