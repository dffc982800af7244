"""Second factor at sign-in (issue 14.6). After the password, someone who needs a second factor
(`accounts.policy.needs_second_factor`) reaches nothing but the verify page (or, with none yet
where one is required, the set-up pages) until they give it. The API's session callers get 403
JSON; token callers are checked when the token is issued (`accounts.api`)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from .policy import has_second_factor, needs_second_factor

# Reachable before the second factor: signing out, the second-factor pages, password reset,
# the health check and static files.
OPEN_PREFIXES = ("/sign-out/", "/account/two-factor/", "/password-reset/", "/healthz/", "/static/",
                 "/webauthn/")  # fmt: skip


FREE_KEY = "accounts_second_factor_free"


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(OPEN_PREFIXES)
            and self._needs_second_factor(request, user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": "Give your second factor on the sign-in page first."}, status=403
                )
            target = "accounts:verify" if has_second_factor(user) else "accounts:set-up"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _needs_second_factor(request: HttpRequest, user) -> bool:
        """Asked of the database once per session: a session signed in with no second factor
        needed stays so (one that adds a device is verified by adding it), so pages keep their
        query counts."""
        if request.session.get(FREE_KEY) == user.pk:
            return False
        needed = needs_second_factor(user)
        if not needed:
            request.session[FREE_KEY] = user.pk
        return needed
