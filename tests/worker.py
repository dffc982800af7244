"""A real Celery worker for end-to-end tests: a subprocess consuming its own queue from Redis and
writing to the *test* database.

Use the `celery_worker` fixture: import it into the folder's conftest.py,

    from tests.worker import celery_worker  # noqa: F401

then in a test module:

    @pytest.mark.redis
    @pytest.mark.postgres
    @pytest.mark.django_db(transaction=True)
    def test_something(celery_worker):
        heartbeat.apply_async(queue=celery_worker.queue)
        wait_for(lambda: JobRun.objects.filter(name="heartbeat").exists())

Needs REDIS_URL (the broker both processes share) and a database the worker can open: PostgreSQL,
or a SQLite *file*. The test must be transactional so the worker sees the rows the test committed.
While the fixture is active, tasks sent from the test process really go through the broker
(`task_always_eager` is switched off) and, unless a queue is given, to the worker's own queue.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

REPO = Path(__file__).resolve().parents[1]
READY_TIMEOUT = 30.0


@dataclass
class Worker:
    """A running worker subprocess: the queue it consumes and everything it has printed."""

    queue: str
    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)


def test_database_url() -> str:
    """The DATABASE_URL of the database this test process uses (the test database, not the real one)."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "localhost"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}@{host}{port}/{db['NAME']}"
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():
        return f"sqlite:///{db['NAME']}"
    raise RuntimeError("a worker subprocess needs PostgreSQL or a SQLite file, not :memory:")


def wait_for(predicate: Callable[[], object], *, timeout: float = 30.0, interval: float = 0.2):
    """Poll `predicate` until it returns something truthy (returned) or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f}s waiting for {predicate!r}")
        time.sleep(interval)


@contextmanager
def running_worker(
    queue: str | None = None, *, env: dict[str, str] | None = None, beat: bool = False
) -> Iterator[Worker]:
    """Start `celery -A config worker --pool=solo -Q <queue>`, wait until it is ready, yield it,
    and stop it (warm shutdown, then kill) on the way out."""
    queue = queue or f"test-{uuid.uuid4().hex[:10]}"
    child_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_EAGER": "0",
        "DATABASE_URL": test_database_url(),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    # The worker's settings come from the environment, never from pytest's own overrides.
    child_env.pop("PYTEST_CURRENT_TEST", None)
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
        "-l",
        "info",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if beat:
        args.append("-B")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        args,
        cwd=REPO,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker = Worker(queue=queue, process=process)
    ready = threading.Event()

    def pump() -> None:
        # Keep reading so the pipe never fills and blocks the worker.
        for line in process.stdout:
            worker.lines.append(line)
            if " ready." in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready.wait(0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start:\n{worker.output}")
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextmanager
def tasks_through_broker(queue: str | None = None) -> Iterator[None]:
    """In this (test) process, send tasks to the broker instead of running them in-process."""
    from config.celery import app

    saved = {
        "task_always_eager": app.conf.task_always_eager,
        "task_default_queue": app.conf.task_default_queue,
    }
    app.conf.task_always_eager = False
    if queue:
        app.conf.task_default_queue = queue
    try:
        yield
    finally:
        app.conf.update(saved)


@pytest.fixture
def celery_worker(transactional_db) -> Iterator[Worker]:
    """A real worker on its own queue; tasks sent by the test go through Redis to it."""
    with running_worker() as worker, tasks_through_broker(worker.queue):
        yield worker
