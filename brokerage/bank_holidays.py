"""England and Wales bank holidays (P3): on one, the daily distribution runs at the weekend time,
because the brokerage team works weekend hours then.

The dates come from govuk-bank-holidays' copy shipped with the package (no network). Each daily
distribution schedule names the days it serves in its kwargs (`{"days": "weekdays"}`,
`"weekends"` or `"bank_holidays"`): the weekday run stands down on a bank holiday and the bank-holiday
run (at the weekend time, Monday to Friday) goes instead. The task and the catch-up both ask here.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache

from govuk_bank_holidays.bank_holidays import BankHolidays

WEEKDAYS, WEEKENDS, BANK_HOLIDAYS = "weekdays", "weekends", "bank_holidays"


@cache
def _england_and_wales() -> frozenset[date]:
    calendar = BankHolidays(use_cached_holidays=True)
    holidays = calendar.get_holidays(division=BankHolidays.ENGLAND_AND_WALES)
    return frozenset(h["date"] for h in holidays)


def is_bank_holiday(day: date) -> bool:
    return day in _england_and_wales()


def runs_on(day: date, days: str | None) -> bool:
    """Whether a distribution schedule serving `days` runs on `day` (None: every day its crontab
    names, as for a schedule an administrator made without a rule)."""
    if days == WEEKDAYS:
        return not is_bank_holiday(day)
    if days == BANK_HOLIDAYS:
        return is_bank_holiday(day) and day.isoweekday() <= 5
    return True


def schedule_days(kwargs: str | dict | None) -> str | None:
    """The `days` rule in a PeriodicTask's kwargs (JSON text in the database)."""
    if isinstance(kwargs, str):
        try:
            kwargs = json.loads(kwargs or "{}")
        except ValueError:
            return None
    return (kwargs or {}).get("days")
