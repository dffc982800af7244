"""Whether the process running a long job is still alive: a PostgreSQL session-level advisory lock,
taken by the job's process for the job's id and released when the job ends or its connection
closes (a killed worker's connection closes with it). Another process asks, without waiting,
whether it could take the lock: if it could, the job's process is gone. SQLite has no such lock,
so there `held_elsewhere` answers None and the caller judges by the job's own heartbeat.
"""

from __future__ import annotations

from django.db import connection

# The first of the two 32-bit keys: one namespace per kind of job, so ids never collide.
NAMESPACES = {"distribution": 14_0501}


def _keys(kind: str, job_id: int) -> tuple[int, int]:
    return NAMESPACES[kind], job_id % 2_147_483_647


def hold(kind: str, job_id: int) -> None:
    """Take the job's lock for this database session (PostgreSQL; nothing on SQLite)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", _keys(kind, job_id))


def release(kind: str, job_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _keys(kind, job_id))


def held_elsewhere(kind: str, job_id: int) -> bool | None:
    """True while another live session holds the job's lock, False when none does (its process
    is gone), None where the database cannot tell (SQLite)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", _keys(kind, job_id))
        got = cursor.fetchone()[0]
        if got:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _keys(kind, job_id))
    return not got
