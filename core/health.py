"""What `/healthz/` reports (issue 14.5): the database and the message broker, each on its own,
so an operator sees which is down. The portal works without the broker (e-mails wait in the
outbox and go when it is back), so only a database fault makes the check fail."""

from __future__ import annotations

import logging
import os

from celery import current_app
from django.db import connection

log = logging.getLogger(__name__)
BROKER_TIMEOUT = 2.0


def database_status() -> str:
    """ "ok" when a query answers, "unreachable" otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any fault of the database is reported, not raised
        log.warning("Health check: database unreachable: %s", exc)
        return "unreachable"
    return "ok"


def broker_status() -> str:
    """ "ok" when the broker takes a connection within BROKER_TIMEOUT (Redis), or its folders are
    writable (the embedded filesystem broker); "unreachable" otherwise."""
    try:
        if current_app.conf.broker_url.startswith("filesystem"):
            folder = current_app.conf.broker_transport_options["data_folder_in"]
            if not os.access(folder, os.W_OK):
                raise OSError(f"{folder} is not writable")
        else:
            with current_app.connection_for_write() as conn:
                # Connecting opens a channel, which pings Redis.
                conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - any fault of the broker is reported, not raised
        log.warning("Health check: broker unreachable: %s", exc)
        return "unreachable"
    return "ok"


def health() -> tuple[dict, int]:
    """The body and status of `/healthz/`: 200 "ok" with both up, 200 "degraded" with the broker
    down (pages and API still work; e-mails wait), 503 "down" with the database down."""
    database, broker = database_status(), broker_status()
    if database != "ok":
        overall, code = "down", 503
    elif broker != "ok":
        overall, code = "degraded", 200
    else:
        overall, code = "ok", 200
    return {"status": overall, "database": database, "broker": broker}, code
