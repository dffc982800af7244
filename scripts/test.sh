#!/usr/bin/env bash
# Run the whole test suite: `scripts/test.sh [pytest arguments]`.
# Without DATABASE_URL / REDIS_URL the suite runs on SQLite and skips (with reasons, in the -ra
# summary) the tests that need PostgreSQL, Redis or Chromium.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"

if [ ! -x .venv/bin/python ]; then
  echo "==> Creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-test
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> Installing the portal with its test dependencies"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  touch "$stamp"
fi

# The browser tests drive Debian's Chromium through Playwright; never download a browser.
# Another apt-get or unattended-upgrades may hold the dpkg lock: wait for it (DPkg::Lock::Timeout)
# and try again a few times. If Chromium still is not there, stop here and say why, rather than
# run a suite whose browser tests would all be skipped (in CI they fail: tests/conftest.py).
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
APT_TRIES="${APT_TRIES:-3}"
APT_RETRY_DELAY="${APT_RETRY_DELAY:-15}"
install_chromium() {
  local try apt=(apt-get -o DPkg::Lock::Timeout=120 -o Acquire::Retries=3)
  for try in $(seq 1 "$APT_TRIES"); do
    if "${apt[@]}" update -qq &&
      DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq chromium; then
      return 0
    fi
    if [ "$try" -lt "$APT_TRIES" ]; then
      echo "==> apt-get failed (attempt $try of $APT_TRIES; the dpkg lock may be busy); retrying in ${APT_RETRY_DELAY}s" >&2
      sleep "$APT_RETRY_DELAY"
    fi
  done
  return 1
}
if [ ! -x "$CHROMIUM" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "==> Installing Debian's chromium"
  if ! install_chromium || [ ! -x "$CHROMIUM" ]; then
    echo "scripts/test.sh: could not install Debian's chromium (apt-get failed $APT_TRIES times, or" \
      "$CHROMIUM is still missing); the browser tests cannot run. Stopping." >&2
    exit 1
  fi
fi

# TEST_SETUP_ONLY=1: install everything and stop (.ci/run uses it before linting).
if [ "${TEST_SETUP_ONLY:-0}" = "1" ]; then
  exit 0
fi

exec .venv/bin/pytest "$@"
