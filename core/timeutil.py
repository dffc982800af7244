"""Parsing `--as-of` and other moments the way councils write them: Europe/London unless an offset is given."""

from __future__ import annotations

from datetime import datetime

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
        parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    return parsed
