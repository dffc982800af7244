"""Settings shared by every environment, read from environment variables (django-environ).

The defaults give the embedded set-up: a SQLite file, no Redis (Celery uses kombu's filesystem
transport), e-mail printed to the console. Set DATABASE_URL and REDIS_URL to use PostgreSQL and Redis.
"""

from contextlib import suppress
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parents[2]
env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-only-not-secret-7c1d0a2e9b8f4e6a")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "core.admin_config.PortalAdminConfig",  # django.contrib.admin, every change audited (I4)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "core",
    "providers",
    "notifications",
    "accounts",
    "wards",
    "brokerage",
    "kpi",
    "reviews",
    "allocation",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it reads the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.portal",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker) share the file: wait for a lock rather than fail at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # No JIT compiling (issue 13): the portal's queries read thousands of rows, not millions, and
    # PostgreSQL compiles any plan costed over `jit_above_cost`: K8's commissioned hours (a few ms
    # of work whose per-package subqueries, run only for packages with an hours change, are costed
    # for every package) spent 369 of 377 ms compiling. PG_JIT=on gives it back.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", f"-c jit={'on' if env.bool('PG_JIT', default=False) else 'off'}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "providers.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading a branch user's branch and provider with them (issue 13).
    "accounts.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after this much inactivity: each request pushes the expiry on.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
# ... written at most once a minute when nothing in it changed (issue 13: not a write a page view).
SESSION_ENGINE = "accounts.sessions"
# Each process's own memory: the dashboard's worked-out bodies (about 150 KB each at national
# scale), kept under core.changes' number, which lives in the database, so no process ever gives
# one another process's change has put out of use. At most 100 (15 MB) a process.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "portal",
        "OPTIONS": {"MAX_ENTRIES": 100},
    }
}
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Second factors (issue 14.6): council staff must sign in with one where PORTAL_REQUIRE_MFA is on
# (production's default; off for the embedded demo and the tests); anyone who sets one up uses it.
PORTAL_REQUIRE_MFA = env.bool("PORTAL_REQUIRE_MFA", default=False)
OTP_TOTP_ISSUER = "Homecare brokerage portal"
# Passkeys (django-otp-webauthn) as a second factor only, never instead of the password.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = "Homecare brokerage portal"
OTP_WEBAUTHN_RP_ID = env("OTP_WEBAUTHN_RP_ID", default="localhost")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "OTP_WEBAUTHN_ALLOWED_ORIGINS", default=["http://localhost:8000"]
)
# API tokens expire this many days after they are issued; a password change revokes them all.
PORTAL_API_TOKEN_DAYS = env.int("PORTAL_API_TOKEN_DAYS", default=90)
# A password reset link works for an hour.
PASSWORD_RESET_TIMEOUT = 60 * 60

# django-axes: lock an account (per username and address) after repeated failed sign-ins.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"  # JSON 429 for the API

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# E-mail: EMAIL_URL such as smtp+tls://user:password@smtp.example.org:587 (django-environ).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# A send gives up after this many seconds, so a dead mail server never holds a worker (or a claim).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Homecare portal <no-reply@portal.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# Content Security Policy (django-csp 4): same-origin only; the one inline script carries a nonce.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "PAGE_SIZE": 50,
    "COERCE_DECIMAL_TO_STRING": False,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Homecare brokerage portal API",
    "DESCRIPTION": "Packages, offers, responses, wards and KPIs. See API.md for the contract.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several components have a `status`; name the capacity one (P12) so the schema says it.
    "ENUM_NAME_OVERRIDES": {
        "CapacityStatusEnum": ["no_capacity", "open"],
        "PackageStatusEnum": "brokerage.models.PackageStatus",
    },
}

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport (embedded set-up).
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_DIR = Path(env("CELERY_BROKER_DIR", default=str(BASE_DIR / ".celery-broker")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Long waits are kept in the database, never in countdowns beyond this timeout.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
    # kombu does not create these itself; web and worker both need them before the first message.
    for _folder in ("queue", "processed", "control"):
        with suppress(OSError):  # a read-only file system: kombu reports it when first used
            (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
DJANGO_CELERY_BEAT_TZ_AWARE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Portal rules (SPEC.md): defaults; administrators change the live values in the admin. ---
# Figures on each person's home page: functions `panels(user) -> [{count, text, url, warning}]`.
PORTAL_HOME_PANELS = ["brokerage.home.panels", "reviews.home.panels"]
PORTAL_CONTACT_EMAIL = env("PORTAL_CONTACT_EMAIL", default="brokerage@council.invalid")

# Scheduled jobs (django-celery-beat). core.schedules.ensure_schedules() creates each missing one
# after `migrate` (Europe/London crontab) and never overwrites an administrator's edits in the admin.
# Each entry: {name, task, minute, hour, day_of_week}. Append new jobs here.
PORTAL_BEAT_SCHEDULES = [
    {
        "name": "Heartbeat",
        "task": "core.tasks.heartbeat",
        "minute": "*/15",
        "hour": "*",
        "day_of_week": "*",
    },
    # P3: the daily distribution, 11:00 on weekdays and 10:30 at weekends, Europe/London; on an
    # England and Wales bank holiday the weekday run stands down and runs at the weekend time.
    {
        "name": "Daily distribution (weekdays)",
        "task": "brokerage.tasks.distribute_packages_task",
        "minute": "0",
        "hour": "11",
        "day_of_week": "1-5",
        "kwargs": {"days": "weekdays"},
    },
    {
        "name": "Daily distribution (weekends)",
        "task": "brokerage.tasks.distribute_packages_task",
        "minute": "30",
        "hour": "10",
        "day_of_week": "0,6",
        "kwargs": {"days": "weekends"},
    },
    {
        "name": "Daily distribution (bank holidays)",
        "task": "brokerage.tasks.distribute_packages_task",
        "minute": "30",
        "hour": "10",
        "day_of_week": "1-5",
        "kwargs": {"days": "bank_holidays"},
    },
    # K3, L1: the rolling 90-day response rates the shortlist reads, counted every morning.
    {
        "name": "Rolling response rates for the shortlist",
        "task": "allocation.tasks.refresh_rolling_rates_task",
        "minute": "15",
        "hour": "6",
        "day_of_week": "*",
    },
    # P5: a run missed while the system was down goes out when it comes back.
    {
        "name": "Catch up a missed distribution",
        "task": "brokerage.tasks.distribution_catch_up_task",
        "minute": "*/5",
        "hour": "*",
        "day_of_week": "*",
    },
    # P6: unanswered offers past their deadline become No Response.
    {
        "name": "Close expired offers",
        "task": "brokerage.tasks.close_expired_offers_task",
        "minute": "*/5",
        "hour": "*",
        "day_of_week": "*",
    },
    # P10: a reminder to each branch that has not answered, hours before its deadline.
    {
        "name": "Remind branches of unanswered offers",
        "task": "brokerage.tasks.send_deadline_reminders_task",
        "minute": "*/15",
        "hour": "*",
        "day_of_week": "*",
    },
    # P7, P10, K7: e-mails of every kind never handed to a worker, or stuck, are sent again;
    # every minute, so a backlog left by a dead worker or broker clears within minutes (issue 14).
    {
        "name": "Resend stuck e-mails",
        "task": "notifications.tasks.resend_notifications",
        "minute": "*",
        "hour": "*",
        "day_of_week": "*",
    },
    # K7: escalate late or missing KPI returns, daily after the due dates pass.
    {
        "name": "Escalate KPI triggers",
        "task": "kpi.tasks.escalate_kpi_triggers_task",
        "minute": "0",
        "hour": "6",
        "day_of_week": "*",
    },
]

# KPIs (K1-K9): contract managers change the live values (kpi.KpiSettings) in the portal.
# Errors listed back for a refused return file; every bad row is still counted.
KPI_RETURN_MAX_LISTED_ERRORS = env.int("KPI_RETURN_MAX_LISTED_ERRORS", default=1000)

# Upload limits (issue 14.2), checked before a file is parsed; README "Security" lists them.
# A KPI return's visit file: a quarter of a large provider's visits is well under 500,000 rows.
KPI_RETURN_MAX_BYTES = env.int("KPI_RETURN_MAX_BYTES", default=50_000_000)
KPI_RETURN_MAX_ROWS = env.int("KPI_RETURN_MAX_ROWS", default=500_000)
# Files up to this size are read in the request (201 at once); larger ones by a Celery task (202).
KPI_RETURN_INLINE_MAX_BYTES = env.int("KPI_RETURN_INLINE_MAX_BYTES", default=256_000)
# An XLSX workbook: the sum of its unpacked parts, the shared strings part (held in memory while
# a sheet is read), how many times any part over 1 MB may be compressed, and columns.
XLSX_MAX_UNPACKED_BYTES = env.int("XLSX_MAX_UNPACKED_BYTES", default=250_000_000)
XLSX_MAX_SHARED_STRINGS_BYTES = env.int("XLSX_MAX_SHARED_STRINGS_BYTES", default=40_000_000)
XLSX_MAX_RATIO = env.int("XLSX_MAX_RATIO", default=100)
XLSX_MAX_COLUMNS = env.int("XLSX_MAX_COLUMNS", default=50)
# The ward and register CSV imports (page and commands).
IMPORT_CSV_MAX_BYTES = env.int("IMPORT_CSV_MAX_BYTES", default=10_000_000)
IMPORT_CSV_MAX_ROWS = env.int("IMPORT_CSV_MAX_ROWS", default=50_000)
