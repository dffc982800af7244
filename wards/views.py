from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .filters import WardFilter
from .models import Ward


@login_required
def ward_list(request: HttpRequest) -> HttpResponse:
    filterset = WardFilter(request.GET, queryset=Ward.objects.all())
    page = Paginator(filterset.qs, 100).get_page(request.GET.get("page"))
    districts = Ward.objects.order_by("district").values_list("district", flat=True).distinct()
    return render(
        request, "wards/ward_list.html", {"filter": filterset, "page": page, "districts": districts}
    )
