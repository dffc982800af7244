"""What a locked-out sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE): the API answers 429 JSON
(API.md), the pages the GOV.UK lock-out page, 429 too."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

LOCKED = "Too many failed sign-ins. Try again in 30 minutes, or reset your password."


def lockout_response(
    request: HttpRequest, original_response=None, credentials=None
) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": LOCKED}, status=429)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, {}, status=429)
