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
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "==> Installing Debian's chromium"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi

# TEST_SETUP_ONLY=1: install everything and stop (.ci/run uses it before linting).
if [ "${TEST_SETUP_ONLY:-0}" = "1" ]; then
  exit 0
fi

exec .venv/bin/pytest "$@"
