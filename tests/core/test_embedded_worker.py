"""The embedded set-up of scripts/run.sh really runs jobs: a Celery worker with embedded beat on
kombu's filesystem transport and a SQLite file, no Redis, no PostgreSQL."""

import os
import sqlite3
import subprocess
import sys

from tests.worker import REPO, wait_for

SETUP = """
from django_celery_beat.models import IntervalSchedule, PeriodicTask
every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.create(name="Heartbeat every second", task="core.tasks.heartbeat",
                            interval=every_second)
from core.tasks import heartbeat
heartbeat.delay()
"""


def _heartbeat_runs(db_path) -> int:
    with sqlite3.connect(db_path) as db:
        try:
            row = db.execute("SELECT runs FROM core_jobrun WHERE name = 'heartbeat'").fetchone()
        except sqlite3.OperationalError:  # locked by the worker for a moment
            return 0
    return row[0] if row else 0


def test_a_task_sent_from_django_and_beats_schedule_both_run_on_the_filesystem_broker(tmp_path):
    db_path = tmp_path / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{db_path}",
        "CELERY_BROKER_DIR": str(tmp_path / "broker"),
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "CELERY_EAGER"):
        env.pop(name, None)

    def manage(*args):
        return subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, "manage.py", *args], cwd=REPO, env=env, check=True, timeout=120
        )

    manage("migrate", "--noinput", "-v0")
    manage("shell", "-c", SETUP)
    assert list((tmp_path / "broker" / "queue").iterdir()), "the task should wait as a file"

    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-B",
                "--pool=solo",
                "-l",
                "info",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: _heartbeat_runs(db_path) >= 3, timeout=45)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{log.read_text()}") from None
    finally:
        worker.terminate()
        worker.wait(timeout=20)

    output = log.read_text()
    assert "Connected to filesystem://" in output
    assert "Sending due task Heartbeat every second (core.tasks.heartbeat)" in output
