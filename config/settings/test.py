"""Settings for the test suite: fast hashing, in-memory e-mail, tasks run in-process unless a test
starts a real worker."""

from .base import *  # noqa: F403
from .base import env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# CELERY_EAGER=0 for a real worker started by a test (tests/worker.py) against the test database.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_ENABLED = True
# Second factors are asked for only by the tests that test them (they turn this on).
PORTAL_REQUIRE_MFA = False
