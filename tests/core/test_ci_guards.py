"""In CI a browser test is never quietly skipped (issue 8.5).

A busy apt lock once made the Chromium install fail; scripts/test.sh carried on and all 37 browser
tests were skipped in a green run. Now scripts/test.sh retries and then stops, and under CI (set by
.ci/run) a missing Chromium, a missing axe or any skipped `browser` test fails the run.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests import conftest as root_conftest

ROOT = Path(__file__).resolve().parents[2]
ONE_BROWSER_TEST = (
    "tests/browser/test_foundation_pages.py::test_provider_nav_and_council_nav_differ"
)


def run_pytest(**env_changes) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(env_changes)
    return subprocess.run(
        [sys.executable, "-m", "pytest", ONE_BROWSER_TEST, "-p", "no:cacheprovider", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_in_ci_a_missing_chromium_fails_the_run_with_the_reason():
    result = run_pytest(CI="true", CHROMIUM="/nonexistent/chromium")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Chromium is missing at /nonexistent/chromium" in output
    assert "must run in CI" in output


def test_outside_ci_a_missing_chromium_skips_the_browser_tests():
    result = run_pytest(CHROMIUM="/nonexistent/chromium")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "1 skipped" in output


@pytest.fixture
def fresh_record(monkeypatch):
    """The root conftest's record of skipped browser tests, emptied for this test alone (so the
    fake skips below never reach the real session's verdict)."""
    record: list[str] = []
    monkeypatch.setattr(root_conftest, "_SKIPPED_BROWSER_TESTS", record)
    return record


def _skipped(nodeid: str, *markers: str) -> SimpleNamespace:
    return SimpleNamespace(skipped=True, nodeid=nodeid, keywords=dict.fromkeys(markers, 1))


def test_in_ci_any_skipped_browser_test_fails_the_session(monkeypatch, fresh_record):
    monkeypatch.setenv("CI", "true")
    root_conftest.pytest_runtest_logreport(_skipped("tests/browser/test_x.py::test_a", "browser"))
    root_conftest.pytest_runtest_logreport(_skipped("tests/x/test_pg.py::test_b", "postgres"))
    session = SimpleNamespace(exitstatus=pytest.ExitCode.OK)
    root_conftest.pytest_sessionfinish(session, pytest.ExitCode.OK)
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
    assert fresh_record == ["tests/browser/test_x.py::test_a"]  # PostgreSQL skips stay skips


def test_outside_ci_skipped_browser_tests_leave_the_session_green(monkeypatch, fresh_record):
    monkeypatch.delenv("CI", raising=False)
    root_conftest.pytest_runtest_logreport(_skipped("tests/browser/test_x.py::test_a", "browser"))
    session = SimpleNamespace(exitstatus=pytest.ExitCode.OK)
    root_conftest.pytest_sessionfinish(session, pytest.ExitCode.OK)
    assert session.exitstatus == pytest.ExitCode.OK


def test_in_ci_a_missing_axe_fails_the_accessibility_check(monkeypatch):
    from tests.browser.conftest import assert_accessible

    monkeypatch.setitem(sys.modules, "axe_playwright_python", None)  # import raises ImportError
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="axe-playwright-python is not installed"):
        assert_accessible(page=None)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        assert_accessible(page=None)


# --- scripts/test.sh: the Chromium install -------------------------------------------------------


def _fake_checkout(tmp_path: Path, apt_get: str) -> tuple[Path, dict]:
    """scripts/test.sh in a throw-away checkout whose .venv is already installed, with a fake
    apt-get (and `id` saying root) first on PATH."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "test.sh", tmp_path / "scripts" / "test.sh")
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    (tmp_path / ".venv" / ".installed-test").touch()
    os.utime(tmp_path / "pyproject.toml", (1, 1))  # older than the stamp: nothing to install
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in {"apt-get": apt_get, "id": "echo 0\n"}.items():
        path = bin_dir / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    env = {k: v for k, v in os.environ.items() if k != "CHROMIUM"}
    env.update(
        PATH=f"{bin_dir}:{env['PATH']}",
        CHROMIUM=str(tmp_path / "chromium"),
        TEST_SETUP_ONLY="1",
        APT_RETRY_DELAY="0",
        CALLS=str(tmp_path / "apt-calls"),
    )
    return tmp_path / "scripts" / "test.sh", env


BUSY_LOCK = """echo "$*" >> "$CALLS"
case "$*" in *install*)
  echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2
  exit 100;;
esac
"""


def test_test_sh_retries_a_busy_apt_lock_then_stops_with_the_reason(tmp_path):
    script, env = _fake_checkout(tmp_path, BUSY_LOCK)
    result = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "could not install Debian's chromium" in result.stderr
    installs = [c for c in Path(env["CALLS"]).read_text().splitlines() if "install" in c]
    assert len(installs) == 3  # tried again while the lock was busy
    assert all("DPkg::Lock::Timeout=120" in call for call in installs)


def test_test_sh_carries_on_once_a_retry_installs_chromium(tmp_path):
    second_try_works = f"""echo "$*" >> "$CALLS"
case "$*" in *install*)
  if [ "$(grep -c install "$CALLS")" -lt 2 ]; then echo "E: Could not get lock" >&2; exit 100; fi
  printf '#!/bin/sh\\n' > {tmp_path / "chromium"}; chmod +x {tmp_path / "chromium"};;
esac
"""
    script, env = _fake_checkout(tmp_path, second_try_works)
    result = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "retrying" in result.stderr
