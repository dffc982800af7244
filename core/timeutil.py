"""Parsing `--as-of` and other moments the way councils write them: Europe/London unless an offset is given."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime


def parse_moment(value: str) -> datetime:
    """An aware datetime from ISO 8601; a naive value is Europe/London local time.

    Raises ValueError with a plain message when the text is not a date-time.
    """
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError(f"'{value}' is not an ISO 8601 date-time such as 2026-03-02T11:00")
    if timezone.is_naive(parsed):
        parsed = _london(parsed, value)
    return parsed


def _london(naive: datetime, text: str) -> datetime:
    """Europe/London local time, refusing the hour the clocks skip and the hour they repeat."""
    zone = timezone.get_default_timezone()
    first, second = naive.replace(tzinfo=zone), naive.replace(tzinfo=zone, fold=1)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise ValueError(f"'{text}' does not exist in London: the clocks go forward past it")
    if first.utcoffset() != second.utcoffset():
        raise ValueError(
            f"'{text}' happens twice in London as the clocks go back; add an offset such as +01:00"
        )
    return first
