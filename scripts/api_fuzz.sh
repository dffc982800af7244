#!/usr/bin/env bash
# A bounded schemathesis run over every API operation with each persona's token (issue 14.4),
# against a live portal on PostgreSQL: fails on any 5xx, or on a response that breaks the schema.
#
#   FUZZ_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_fuzz scripts/api_fuzz.sh
#
# The database is dropped and made again (demo data, one token per demo user): never point it at
# a database you want to keep. FUZZ_MAX_EXAMPLES (default 3) and FUZZ_MAX_TIME (seconds per
# persona, default 30) keep the run to a few minutes.
set -euo pipefail

cd "$(dirname "$0")/.."
: "${FUZZ_DATABASE_URL:?set FUZZ_DATABASE_URL to a throw-away PostgreSQL database}"
PORT="${FUZZ_PORT:-8765}"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-3}"
MAX_TIME="${FUZZ_MAX_TIME:-30}"
PERSONAS="${FUZZ_PERSONAS:-navigator contract reviewer admin provider branch}"
REPORTS="${FUZZ_REPORTS:-.fuzz}"

export DATABASE_URL="$FUZZ_DATABASE_URL" DJANGO_SETTINGS_MODULE=config.settings.local
export DJANGO_DEBUG=0 CELERY_TASK_ALWAYS_EAGER=1 AXES_ENABLED=0
unset REDIS_URL
py=.venv/bin/python

name="${FUZZ_DATABASE_URL##*/}"
admin_url="${FUZZ_DATABASE_URL%/*}/postgres"
$py - "$admin_url" "$name" <<'EOF'
import sys

import psycopg2

connection = psycopg2.connect(sys.argv[1])
connection.autocommit = True
with connection.cursor() as cursor:
    cursor.execute(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)')
    cursor.execute(f'CREATE DATABASE "{sys.argv[2]}"')
EOF
$py manage.py migrate -v 0
# As a real deployment serves them: without the manifest, every error page would itself fail.
$py manage.py collectstatic --noinput -v 0
$py manage.py load_demo --without-history >/dev/null

declare -A tokens
for persona in $PERSONAS; do
  tokens[$persona]=$($py manage.py shell -v 0 -c "
from accounts.tokens import token_issue
from providers.models import User
print(token_issue(user=User.objects.get(username='$persona'), name='API fuzz')[1])" | tail -1)
done

$py manage.py runserver --noreload --insecure "127.0.0.1:$PORT" >"$REPORTS.server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -fs "http://127.0.0.1:$PORT/api/schema/" -o /dev/null && break
  sleep 1
done

failed=0
mkdir -p "$REPORTS"
for persona in $PERSONAS; do
  echo "==> schemathesis as $persona"
  if ! .venv/bin/schemathesis run "http://127.0.0.1:$PORT/api/schema/" \
    --header "Authorization: Token ${tokens[$persona]}" \
    --checks not_a_server_error,response_schema_conformance,content_type_conformance \
    --max-examples "$MAX_EXAMPLES" --max-time "$MAX_TIME" --workers 1 \
    --request-timeout 30 --generation-allow-x00 false --seed 14 \
    --suppress-health-check all --warnings off \
    --report junit --report-junit-path "$REPORTS/$persona.xml"; then
    failed=1
  fi
done
exit $failed
