"""UK financial quarters (K1, K6): `2026-27-Q1` is April-June 2026, `2025-26-Q4` January-March 2026.

Boundaries are Europe/London local dates; `start_at`/`end_at` are the aware datetimes of local
midnight at each end, so an offer sent at 23:30 BST on 30 June belongs to Q1, not Q2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
QUARTER_RE = re.compile(r"^(\d{4})-(\d{2})-Q([1-4])$")
# Financial years the portal accepts in a quarter code (issue 14.4: `0000-01-Q1` was a 500 and
# `0001-02-Q1` was stored as `1-02-Q1`).
FIRST_YEAR, LAST_YEAR = 2000, 2098


def local_midnight(day: date) -> datetime:
    """The aware moment local midnight begins `day` in Europe/London."""
    return datetime.combine(day, time.min, tzinfo=LONDON)


@dataclass(frozen=True, order=True)
class Quarter:
    """A financial quarter: `year` is the year the financial year starts (April), `number` 1-4."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """`2026-27-Q1` -> Quarter(2026, 1); ValueError with a plain message otherwise."""
        match = QUARTER_RE.match((text or "").strip().upper())
        if not match or int(match.group(2)) != (int(match.group(1)) + 1) % 100:
            raise ValueError(
                f"'{text}' is not a financial quarter such as 2026-27-Q1 (April to June 2026)."
            )
        year = int(match.group(1))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(
                f"'{text}' is outside the quarters the portal keeps: give one from "
                f"{cls(FIRST_YEAR, 1)} to {cls(LAST_YEAR, 4)}, such as 2026-27-Q1."
            )
        return cls(year, int(match.group(3)))

    @classmethod
    def containing(cls, day: date | datetime) -> Quarter:
        """The quarter a local date (or an aware datetime, taken in Europe/London) falls in."""
        if isinstance(day, datetime):
            day = day.astimezone(LONDON).date()
        if day.month >= 4:
            return cls(day.year, (day.month - 4) // 3 + 1)
        return cls(day.year - 1, 4)

    @classmethod
    def first_full_after(cls, joined_on: date) -> Quarter:
        """The first quarter starting on or after `joined_on` (K6: joined Feb 2025 -> 2025-26-Q1)."""
        quarter = cls.containing(joined_on)
        return quarter if quarter.start_date == joined_on else quarter.next()

    def __str__(self) -> str:
        return f"{self.year}-{(self.year + 1) % 100:02d}-Q{self.number}"

    @property
    def code(self) -> str:
        return str(self)

    @property
    def start_date(self) -> date:
        month = 3 * self.number + 1
        return date(self.year, month, 1) if month <= 12 else date(self.year + 1, month - 12, 1)

    @property
    def last_date(self) -> date:
        return self.next().start_date - timedelta(days=1)

    @property
    def start_at(self) -> datetime:
        return local_midnight(self.start_date)

    @property
    def end_at(self) -> datetime:
        """Exclusive: local midnight at the start of the next quarter."""
        return self.next().start_at

    def due_date(self, due_days: int) -> date:
        """K6: the last day a return is on time, `due_days` after the quarter's last day (the
        contract managers' setting `KpiSettings.return_due_days`, 15 by default)."""
        return self.last_date + timedelta(days=due_days)

    def label(self) -> str:
        """'April to June 2026'."""
        return f"{self.start_date:%B} to {self.last_date:%B %Y}"

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    def has_ended(self, now: datetime) -> bool:
        return now >= self.end_at

    def contains(self, moment: datetime) -> bool:
        return self.start_at <= moment < self.end_at


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from `first` to `last` inclusive (empty if first is after last)."""
    out, quarter = [], first
    while quarter <= last:
        out.append(quarter)
        quarter = quarter.next()
    return out


def recent_quarters(now: datetime, count: int) -> list[Quarter]:
    """The `count` quarters ending with the current one, oldest first."""
    last = Quarter.containing(now)
    out = [last]
    while len(out) < count:
        out.insert(0, out[0].previous())
    return out
