#!/usr/bin/env bash
# Run the portal on this machine: the web server and the scheduled jobs (a Celery worker with
# embedded beat). Nothing else needed: SQLite (db.sqlite3) and kombu's filesystem broker
# (.celery-broker/) unless DATABASE_URL / REDIS_URL say otherwise. Ctrl-C stops both.
#
# The demo is served as a real site would be: DEBUG off, so a missing page or an error shows the
# portal's own GOV.UK pages (templates/404.html, 500.html), never Django's technical pages with
# the URL patterns and tracebacks; WhiteNoise serves the collected static files. Developers who
# want Django's debug pages (and the autoreloader) run `DJANGO_DEBUG=1 scripts/run.sh`.
# LOAD_DEMO=0 skips loading the demo data (for a database of your own).
set -euo pipefail

cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
PYTHON="${PYTHON:-python3.11}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
export DJANGO_DEBUG="${DJANGO_DEBUG:-0}"
# The embedded demo signs in with a password alone; production asks council staff for a second factor.
export PORTAL_REQUIRE_MFA="${PORTAL_REQUIRE_MFA:-0}"

if [ ! -x .venv/bin/python ]; then
  echo "==> Creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
# Install (or refresh) the dependencies only when pyproject.toml changed since the last install.
# scripts/test.sh's install (the portal with its test extras) will do as well.
stamp=.venv/.installed-run
if [ pyproject.toml -nt "$stamp" ] && [ pyproject.toml -nt .venv/.installed-test ]; then
  echo "==> Installing the portal and its dependencies"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e .
  touch "$stamp"
fi

echo "==> Migrating the database"
.venv/bin/python manage.py migrate --noinput
if [ "${LOAD_DEMO:-1}" != "0" ]; then
  echo "==> Loading the demo data (idempotent)"
  .venv/bin/python manage.py load_demo
fi
echo "==> Collecting static files"
# With DEBUG off WhiteNoise serves the collected, hashed files; cheap when unchanged.
.venv/bin/python manage.py collectstatic --noinput -v0

# Each process gets its own session (setsid), so stopping it also stops its children (runserver's
# autoreloader child, the worker's embedded beat process).
detach=()
command -v setsid >/dev/null && detach=(setsid)
pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "==> Stopping the web server and the worker"
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
}
trap stop INT TERM EXIT

echo "==> Starting the Celery worker with embedded beat (scheduled jobs)"
"${detach[@]}" .venv/bin/celery -A config worker -B --pool=solo -l info &
pids+=($!)

# This machine only (127.0.0.1): the demo's passwords are public. With DEBUG off there is no
# autoreloader either: the demo does not change under it.
server=(.venv/bin/python manage.py runserver "127.0.0.1:${PORT}")
case "$DJANGO_DEBUG" in
  1 | true | True | yes | on) echo "==> DEBUG on: Django's debug pages, reloading on code changes" ;;
  *) server+=(--noreload) ;;
esac
echo "==> Starting the web server on http://127.0.0.1:${PORT}/ (Ctrl-C stops both)"
"${detach[@]}" "${server[@]}" &
pids+=($!)

# Whichever stops first (or Ctrl-C) stops the other.
status=0
wait -n || status=$?
exit "$status"
