#!/usr/bin/env bash
# Run the portal on this machine: the web server and the scheduled jobs (a Celery worker with
# embedded beat). Nothing else needed: SQLite (db.sqlite3) and kombu's filesystem broker
# (.celery-broker/) unless DATABASE_URL / REDIS_URL say otherwise. Ctrl-C stops both.
set -euo pipefail

cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
PYTHON="${PYTHON:-python3.11}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"

if [ ! -x .venv/bin/python ]; then
  echo "==> Creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
# Install (or refresh) the dependencies only when pyproject.toml changed since the last install.
stamp=.venv/.installed-run
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> Installing the portal and its dependencies"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e .
  touch "$stamp"
fi

echo "==> Migrating the database"
.venv/bin/python manage.py migrate --noinput
echo "==> Loading the demo data (idempotent)"
.venv/bin/python manage.py load_demo
echo "==> Collecting static files"
# With DEBUG off (DJANGO_DEBUG=0) WhiteNoise serves the collected, hashed files; cheap when unchanged.
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

echo "==> Starting the web server on http://127.0.0.1:${PORT}/ (Ctrl-C stops both)"
"${detach[@]}" .venv/bin/python manage.py runserver "0.0.0.0:${PORT}" &
pids+=($!)

# Whichever stops first (or Ctrl-C) stops the other.
status=0
wait -n || status=$?
exit "$status"
