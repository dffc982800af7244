"""Provider and branch pages. Every lookup goes through `visible_to` (A1): not yours is 404."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from .models import Branch, Provider


@login_required
def provider_list(request: HttpRequest) -> HttpResponse:
    providers = Provider.objects.visible_to(request.user)
    if request.user.is_provider_user:
        return redirect("providers:detail", ref=request.user.provider.ref)
    query = request.GET.get("q", "").strip()
    if query:
        providers = providers.filter(Q(name__icontains=query) | Q(ref__iexact=query))
    status = request.GET.get("status", "")
    if status:
        providers = providers.filter(pdps_status=status)
    # Meta.ordering does not survive an aggregate (GROUP BY) query: order explicitly for paging.
    providers = providers.annotate(branch_count=Count("branches")).order_by("name", "pk")
    page = Paginator(providers, 50).get_page(request.GET.get("page"))
    return render(
        request, "providers/provider_list.html", {"page": page, "q": query, "status": status}
    )


@login_required
def provider_detail(request: HttpRequest, ref: str) -> HttpResponse:
    provider = get_object_or_404(Provider.objects.visible_to(request.user), ref=ref)
    branches = (
        Branch.objects.visible_to(request.user)
        .filter(provider=provider)
        .annotate(ward_count=Count("coverage", filter=Q(coverage__ended_at__isnull=True)))
    )
    return render(
        request, "providers/provider_detail.html", {"provider": provider, "branches": branches}
    )


@login_required
def branch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    branch = get_object_or_404(
        Branch.objects.visible_to(request.user).select_related("provider"), pk=pk
    )
    # The wards it covers come from wards' `{% branch_coverage %}` tag: providers sits below wards.
    return render(request, "providers/branch_detail.html", {"branch": branch})
