"""Production settings are safe to deploy; the clock and Celery are configured as SPEC needs."""

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

from django.conf import settings

REPO = Path(__file__).resolve().parents[2]


def _production_env(**overrides: str) -> dict[str, str]:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(64)),
        "ALLOWED_HOSTS": "portal.example.gov.uk",
        "DATABASE_URL": "postgres://portal:secret@db.internal:5432/portal",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "DJANGO_DEBUG": "0",
    }
    # Set for the test process by tests/browser (Playwright); deploy check rightly rejects it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(overrides)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check_with_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output


def test_production_refuses_to_start_without_a_secret_key():
    env = _production_env()
    del env["DJANGO_SECRET_KEY"]

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = _manage("check", env=_production_env(DJANGO_SECRET_KEY="short"))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_the_portal_keeps_london_time_with_aware_datetimes():
    assert settings.TIME_ZONE == "Europe/London"
    assert settings.USE_TZ is True


def test_celery_is_json_only_acks_late_with_time_limits_on_london_time():
    from config.celery import app

    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.task_time_limit and conf.task_soft_time_limit
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert conf.timezone == "Europe/London"
    assert conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


def test_production_keeps_database_connections_between_requests():
    """Issue 13: a PostgreSQL connection a request cost the bare page a third of its throughput;
    production keeps each for a minute, checked before reuse, unless CONN_MAX_AGE says otherwise."""
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    for env, expected in (
        (_production_env(), "60 True"),
        (_production_env(CONN_MAX_AGE="0"), "0 True"),
    ):
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, "-c", code],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.stdout.strip() == expected, result.stderr
