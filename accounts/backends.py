"""The sign-in backend (AUTHENTICATION_BACKENDS): Django's `ModelBackend`, reading a signed-in
user with their provider and branch in the same query (issue 13). Every page's header names them
("at Acme Care (Preston)") and the providers' pages scope by them, which was two more queries on
every request of a provider's user."""

from __future__ import annotations

from django.contrib.auth import backends, get_user_model

# What a session signed in before this backend names (`accounts.sessions` reads it as this one).
DJANGO_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
PATH = "accounts.backends.ModelBackend"


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("provider", "branch")
        try:
            user = users.get(pk=user_id)
        except users.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    async def aget_user(self, user_id):
        users = get_user_model()._default_manager.select_related("provider", "branch")
        try:
            user = await users.aget(pk=user_id)
        except users.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
