"""Navigators' shortlist and award pages (L1, L2): the ranked shortlist with each score's parts,
then a confirmation saying what the award will do before it is made."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from brokerage.models import PackageStatus
from brokerage.views.common import _package_or_404, navigators_only
from core.errors import PAGE_ERRORS, page_refusal

from .forms import AwardForm
from .matrix import shortlist
from .selectors import award_consequences, shortlist_page
from .services import award


@navigators_only
def package_award(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the shortlist (L1). GET or POST with an offer: the confirmation of what the award will
    do; POST with `confirm`: the award (L2), or the confirmation again with what is wrong."""
    package = _package_or_404(request, pk)
    awardable = package.status == PackageStatus.OFFERED
    choosing = request.method == "POST" or "offer" in request.GET
    if choosing and awardable:
        form = AwardForm(request.POST if request.method == "POST" else request.GET)
        offer = None
        if form.is_valid():
            offer = package.offers.filter(
                pk=form.cleaned_data["offer"], round=package.round
            ).first()
        if offer is not None:
            problem = ""
            if request.method == "POST" and "confirm" in request.POST:
                try:
                    award(
                        actor=request.user,
                        package=package,
                        offer=offer,
                        feedback=form.cleaned_data["feedback"],
                        reason=form.cleaned_data["reason"],
                    )
                except PAGE_ERRORS as exc:
                    problem = page_refusal(form, exc)
                else:
                    messages.success(
                        request,
                        f"Package {package.reference} awarded to {offer.provider.name} ({offer.branch.name} branch)",
                    )
                    return redirect("brokerage:package", pk=package.pk)
            else:
                form = AwardForm(initial={"offer": offer.pk})
            package.refresh_from_db()
            ranked = shortlist(package)
            return render(
                request,
                "allocation/award_confirm.html",
                {
                    "package": package,
                    "form": form,
                    "problem": problem,
                    **award_consequences(package, offer, ranked),
                },
            )
    page = shortlist_page(package)
    problem = (
        ""
        if awardable or request.method == "GET"
        else (
            f"Package {package.reference} is {package.get_status_display().lower()}; it cannot be awarded."
        )
    )
    if choosing and awardable:
        problem = "Choose an offer from the shortlist to award"
    return render(
        request,
        "allocation/shortlist.html",
        {
            "package": package,
            "awardable": awardable,
            "problem": problem,
            "waiting_count": package.offers.filter(
                round=package.round, placement_response__isnull=True, outcome="open"
            ).count(),
            **page,
        },
    )
