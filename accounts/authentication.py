"""`Authorization: Token <key>` against the named, expiring tokens (accounts.ApiToken). A subclass
of DRF's token scheme, so the header, its errors and the OpenAPI scheme stay the same."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .tokens import token_user


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = token_user(key)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return user, token
