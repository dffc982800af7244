"""`scripts/run.sh` for real: the demo is served with DEBUG off on this machine only (issue 8.4).

Another provider's made-up URL must give the portal's GOV.UK 404 page, never Django's technical
page listing every URL pattern; static files come from WhiteNoise (runserver serves none with DEBUG
off); the server listens on 127.0.0.1 alone. Not marked: it needs nothing CI lacks, so it always
runs (about 10-20 seconds: migrate a fresh SQLite file, collectstatic, start both processes).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 180  # seconds: migrate on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, dict, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own server
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on `port`, read from /proc/net/tcp{,6}."""
    found = set()
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) != port or fields[3] != "0A":  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            if name == "tcp":
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:  # four little-endian 32-bit words
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def served(tmp_path):
    """scripts/run.sh on a free port with its own SQLite file and broker folder; stopped after as
    Ctrl-C would (SIGTERM to its process group: the script's trap stops the server and worker)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_DEBUG"}}
    env.update(
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CELERY_BROKER_DIR=str(tmp_path / "broker"),
        DJANGO_SETTINGS_MODULE="config.settings.local",  # what run.sh uses, not the tests'
        LOAD_DEMO="0",  # the demo's data is tested in tests/commands; this is about serving it
    )
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "run.sh")],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not accepts(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"scripts/run.sh did not start:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.5)
        yield port, process, log_path
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_run_script_serves_the_demo_with_debug_off_on_localhost_only(served):
    port, process, log_path = served
    base = f"http://127.0.0.1:{port}"

    # The README's promise: http://127.0.0.1:PORT/, and nothing on the machine's other addresses.
    addresses = listening_addresses(port)
    if Path("/proc/net/tcp").exists():
        assert addresses == {"127.0.0.1"}, addresses

    # Another provider's offer, or any made-up address: the GOV.UK page, no URL patterns.
    status, _, html = fetch(f"{base}/offers/999999/no-such-page/")
    assert status == 404
    assert "Page not found" in html and "govuk-template" in html
    for technical in ("URLconf", "Using the URLconf", "Traceback", "DEBUG = True"):
        assert technical not in html

    # The sign-in page works, under the Content Security Policy.
    status, headers, html = fetch(f"{base}/sign-in/")
    assert status == 200
    assert 'name="username"' in html and 'name="password"' in html
    assert "script-src 'self' 'nonce-" in headers.get("Content-Security-Policy", "")

    # Its stylesheets and script, hashed names from the manifest, served by WhiteNoise.
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|mjs|js))"', html)
    assert any(a.endswith(".css") for a in assets), html[:2000]
    for asset in assets:
        status, headers, body = fetch(base + asset)
        assert status == 200, asset
        assert body
        if asset.endswith(".css"):
            assert headers.get("Content-Type", "").startswith("text/css")

    # Stopped as Ctrl-C would stop it: the server goes away with the script.
    os.killpg(process.pid, signal.SIGTERM)
    assert process.wait(timeout=40) is not None
    deadline = time.monotonic() + 15
    while accepts(port) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not accepts(port), "the web server outlived scripts/run.sh"
    log = log_path.read_text()
    assert "Stopping the web server and the worker" in log
