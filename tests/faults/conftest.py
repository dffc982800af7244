"""A Redis of the test's own, on a free port, that a fault test may stop and start again without
touching the shared Redis the rest of the suite uses."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.brokerage.conftest import market, other_ward  # noqa: F401 - fixtures shared with brokerage

REDIS_SERVER = shutil.which("redis-server")


def free_port(start: int = 6390) -> int:
    for port in range(start, start + 100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port for a test Redis")


@dataclass
class OwnRedis:
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"the test Redis on port {self.port} did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    """A running redis-server on a free port of its own (6390 and up); stopped at the end."""
    if REDIS_SERVER is None:
        pytest.skip("needs redis-server")
    redis = OwnRedis(free_port())
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


def _forget_pools(app) -> None:
    """The connection and producer pools are built from the URL on first use: drop them (not
    close: kombu shares a closed pool with whoever asks for the same URL next)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_at():
    """`broker_at(url)`: this process's Celery app publishes to (and health-checks) `url`."""
    from config.celery import app

    saved = app.conf.broker_url
    saved_eager = app.conf.task_always_eager

    def point(url: str) -> None:
        app.conf.broker_url = url
        app.conf.task_always_eager = False
        _forget_pools(app)

    yield point
    _forget_pools(app)
    app.conf.broker_url = saved
    app.conf.task_always_eager = saved_eager
