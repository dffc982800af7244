"""A number that moves whenever something the council's figures read changes (issue 13, goal 2).

The contract-management dashboard works its figures out from tens of millions of offers' kept
counts, packages, triggers and settings; worked out once, the page is given again while this
number stands (`kpi.views.dashboard_pages`). Every change recorded in the audit trail (I4: every
service and every admin change), every move of the kept counts and every save or delete of a
row of the portal's own apps moves it, in the writer's transaction and again once it has
committed:

- in the transaction, at each change, so a reader on the same connection (a test's, never
  committed) sees every change;
- after the commit, because a reader between the two may have worked the figures out without the
  writer's change and kept them under the number moved in the transaction: the second move puts
  them out of use as soon as the change can be seen.

On PostgreSQL the number is a sequence (`nextval` never waits for another transaction, so
writers do not queue on it); on SQLite (one writer at a time anyway) a one-row table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")

SEQUENCE = "core_figures_version"
# The portal's own apps: what the figures read. Sessions, sign-in attempts, the beat schedule's
# last-run stamps and the e-mail outbox's states move often and the figures do not read them.
APPS = {"core", "providers", "wards", "brokerage", "kpi", "reviews", "allocation"}


def version() -> int:
    """Where the number stands now (one small read)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A new sequence stands at 1 before its first nextval, and at 1 after it.
            cursor.execute(
                f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {SEQUENCE}"  # noqa: S608
            )
        else:
            cursor.execute("SELECT COALESCE(MAX(n), 0) FROM core_figuresversion")
        return int(cursor.fetchone()[0])


def kept(name: str, work: Callable[[], T], seconds: int) -> T:
    """`work()`'s result (never None), worked out once and given again from the cache while the
    number stands and for at most `seconds` of the clock, whichever ends first: for figures
    every reader shares, whose cost then falls once a change rather than once a view. `name`
    must say everything the result depends on besides the data (the reader's scope, the query)."""
    key = f"{name}:{version()}:{int(time.time() // seconds)}"
    result = cache.get(key)
    if result is None:
        result = work()
        cache.set(key, result, seconds)
    return result


def changed() -> None:
    """Move the number now and, inside a transaction, once more after it commits (that once
    per transaction, however many changes it makes)."""
    _move()
    if connection.in_atomic_block and not any(
        func is _move for _, func, *_ in connection.run_on_commit
    ):
        transaction.on_commit(_move)


def _move() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT nextval('{SEQUENCE}')")
        else:
            cursor.execute(
                "INSERT INTO core_figuresversion (id, n) VALUES (1, 1)"
                " ON CONFLICT (id) DO UPDATE SET n = n + 1"
            )


def _on_save_or_delete(sender, **kwargs) -> None:
    meta = sender._meta
    # A migration's historical models (module "__fake__") may save before the number exists;
    # no process keeps a page across a migration.
    if meta.app_label in APPS and not kwargs.get("raw") and sender.__module__ != "__fake__":
        changed()


def connect() -> None:
    """Listen to every model's saves and deletes (CoreConfig.ready)."""
    post_save.connect(_on_save_or_delete, dispatch_uid="core.changes.save")
    post_delete.connect(_on_save_or_delete, dispatch_uid="core.changes.delete")
