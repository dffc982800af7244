"""Brokerage pages. Every lookup goes through `visible_to` (A1)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .api import get_offer_or_404


@login_required
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_offer_or_404(request.user, pk)
    return render(
        request, "brokerage/offer_detail.html", {"offer": offer, "package": offer.package}
    )
