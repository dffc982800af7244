"""Python's cyclic garbage collector, kept out of the way of bulk reads (issue 13).

Building thousands of small objects (the dashboard's 18,000 rate rows) sets off the collector
again and again, and each pass walks every object the process holds (Django's and the app's own):
on the dashboard that was nearly half the time of making the rows. `paused()` holds it off while a
bounded loop makes objects that hold no cycles; `freeze()`, once the app is loaded, moves what is
loaded so far out of the collector's sight for good (the objects live as long as the process)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No automatic collection inside (objects are still freed by reference counting), and the
    collector as it was after, even when the loop raises."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def freeze() -> None:
    """Move every object alive now into the collector's permanent generation (`gc.freeze`), so
    no later collection walks the loaded app again."""
    gc.collect()
    gc.freeze()
