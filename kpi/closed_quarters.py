"""Closed quarters' rate rows kept in memory (issue 13, goal 1: "closed quarters never change").

The dashboard shows six quarters and the self-view four; all but the newest one or two are closed
(ended more than `counts.CLOSED_AFTER_DAYS` ago) and almost never change. Their every-provider
rows (K1, K2, K11), worked out once, are kept here per process and given again while nothing
has changed them. What could, records a row in `ClosedQuarterChange` in the writer's
transaction (`counts.note_closed_changes`: a late answer or award, a challenge decided, a
rebuild; a provider saved), so one read of that small table tells a kept quarter still right
from one to read again: its rows are only added, so their number and newest id differ after any
change has committed, whichever committed first.

A quarter is kept only once it has been closed for an hour (`MARGIN`) by the reader's clock: a
writer records nothing for a quarter still open by its own, and no write's transaction lasts an
hour. The settings that shape the rows (urgent left out, the risk bands' thresholds) are part of
the key. Kept rows are shared: callers read them and never change them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db.models import Count, Max
from django.utils import timezone

from brokerage.counts import first_open_quarter
from brokerage.models import ClosedQuarterChange
from core.models import PortalSettings

from .quarters import Quarter

MARGIN = timedelta(hours=1)
MOST = 64  # kept entries a process holds (quarters x settings); past it, all are let go

_kept: dict[tuple, tuple[tuple, object]] = {}


def keepable(quarter: Quarter, now: datetime | None = None) -> bool:
    """Whether `quarter` has been closed for MARGIN at `now` (the clock's, by default)."""
    return quarter.start_date < first_open_quarter((now or timezone.now()) - MARGIN)


def changes() -> tuple[int, int | None]:
    """Where the record of changes stands: (rows, newest id), in one read."""
    seen = ClosedQuarterChange.objects.aggregate(rows=Count("id"), newest=Max("id"))
    return seen["rows"], seen["newest"]


def settings_key(rules: PortalSettings) -> tuple:
    """The settings that shape the rows, as numbers (a Decimal read back is 0.950, not 0.95)."""
    return (
        bool(rules.kpi_exclude_urgent),
        float(rules.response_rate_target),
        float(rules.medium_risk_floor),
    )


def rows_by_quarter(
    quarters: list[Quarter],
    rules: PortalSettings,
    read: Callable[[list[Quarter]], dict[str, object]],
) -> dict[str, object]:
    """{quarter code: rows} for `quarters`: the closed ones kept since nothing changed them, the
    others from `read(those quarters)` (one read for them all), and those of them closed kept."""
    closed = [q for q in quarters if keepable(q)]
    stand = changes() if closed else None
    shape = settings_key(rules)
    out: dict[str, object] = {}
    for quarter in closed:
        kept = _kept.get((quarter.start_date, shape))
        if kept and kept[0] == stand:
            out[str(quarter)] = kept[1]
    missing = [q for q in quarters if str(q) not in out]
    if missing:
        found = read(missing)
        if len(_kept) >= MOST:
            _kept.clear()
        for quarter in missing:
            if quarter in closed:
                _kept[(quarter.start_date, shape)] = (stand, found[str(quarter)])
        out.update(found)
    return {str(q): out[str(q)] for q in quarters}


def forget() -> None:
    """Let every kept quarter go (tests: each starts from a database of its own)."""
    _kept.clear()
