"""`POST /api/v1/auth/token/` (API.md): username and password, plus `otp` for a user who has a
second factor or whose role must have one where MFA is required, so a password alone never yields
a council token there. Each failure counts towards the sign-in lock-out (django-axes), which
answers 429 while it lasts. Optional `name` names the token (listed on the tokens page)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django_otp import match_token
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .lockout import LOCKED
from .policy import has_totp, needs_second_factor
from .tokens import token_issue

OTP_MISSING = "Enter the 6-digit code from your authenticator app."
OTP_WRONG = "The code is wrong or has expired. Enter the current code from your authenticator app."
NO_TOTP = (
    "Your account must use two-factor authentication with an authenticator app for the API: "
    "set one up on the portal (Your account) first."
)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    otp = serializers.CharField(max_length=12, required=False, allow_blank=True)
    name = serializers.CharField(max_length=80, required=False, allow_blank=True)


def _failed(request, username: str) -> None:
    """A wrong second factor counts towards the lock-out as a wrong password does."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


class TokenObtainView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Wrong credentials or second factor"),
            429: OpenApiResponse(description="Locked out after repeated failures"),
        },
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username, otp = data.validated_data["username"], data.validated_data.get("otp", "")
        django_request = request._request
        try:
            user = authenticate(
                django_request, username=username, password=data.validated_data["password"]
            )
        except PermissionDenied:
            return Response({"detail": LOCKED}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        if getattr(django_request, "axes_locked_out", False):
            return Response({"detail": LOCKED}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        if user is None:
            return Response(
                {"non_field_errors": ["Unable to sign in with that username and password."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if needs_second_factor(user):
            if not has_totp(user):
                # A role that must have one, with none (or only a passkey, which an API cannot use).
                return Response({"otp": [NO_TOTP]}, status=status.HTTP_403_FORBIDDEN)
            if not otp.strip():
                return Response({"otp": [OTP_MISSING]}, status=status.HTTP_400_BAD_REQUEST)
            if match_token(user, otp.strip()) is None:
                _failed(django_request, username)
                return Response({"otp": [OTP_WRONG]}, status=status.HTTP_400_BAD_REQUEST)
        name = data.validated_data.get("name") or "API sign-in"
        _token, key = token_issue(user=user, name=name)
        return Response({"token": key})
