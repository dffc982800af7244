"""The sign-in backend (AUTHENTICATION_BACKENDS): Django's `ModelBackend`, reading a branch
user's branch and its provider in one query with them (issue 13). Every page's header names them
("at Acme Care (Preston)") and the providers' pages scope by them: two more queries on every
request of a branch's user, now one. (Joined into the user's own query they cost every user,
the council's too, more than the query they saved.)"""

from __future__ import annotations

from django.contrib.auth import backends

from providers.models import Branch

# What a session signed in before this backend names (`accounts.sessions` reads it as this one).
DJANGO_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
PATH = "accounts.backends.ModelBackend"


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        user = super().get_user(user_id)
        if user is not None and user.branch_id is not None:
            # By its key: one row or none, so no ORDER BY (`first()` sorts by the names).
            found = Branch.objects.select_related("provider").filter(pk=user.branch_id)
            branch = next(iter(found), None)
            if branch is not None:
                user.branch = branch
                if user.provider_id == branch.provider_id:
                    user.provider = branch.provider
        return user
