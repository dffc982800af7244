"""The rows of the package queue, the offers inbox and the offer history as those pages show them
(issue 13): read as plain values in the page's one query, and each cell made ready in one pass,
so the templates print strings. Walking model instances in the templates (a chain of lookups per
cell, a reversed URL, a formatted date and a choice's label on every row) took most of a page of
50 rows. Work that repeats down a list is done once: the link's route is reversed once, a day is
formatted once, a tag is made once per choice (`brokerage_tags`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache

from django.template.defaultfilters import floatformat
from django.utils import timezone

from core.listing import day_labels, link_for

from .. import wording
from ..models import DeclineReason, ServiceLevel, district_of
from ..templatetags.brokerage_tags import (
    OUTCOME_TAGS,
    RESPONSE_TAGS,
    STATUS_TAGS,
    deadline_html,
    tag_of,
)
from .common import time_left

SERVICE_LEVELS = dict(ServiceLevel.choices)
REASONS = dict(DeclineReason.choices)

# What an offer's row shows, through its package, ward and branch; the history adds the provider
# (`HISTORY_ROW`), which it shows the council.
OFFER_ROW = (
    "id",
    "urgent",
    "batch_id",
    "sent_at",
    "deadline",
    "placement_response",
    "outcome",
    "offered_start_date",
    "reason",
    "package__reference",
    "package__postcode",
    "package__service_level",
    "package__hours_per_week",
    "package__ward__name",
    "package__ward__code",
    "branch__name",
)
HISTORY_ROW = (*OFFER_ROW, "provider__name")

PACKAGE_ROW = (
    "id",
    "reference",
    "urgency",
    "status",
    "uncovered_at",
    "service_level",
    "hours_per_week",
    "start_date",
    "ward__name",
    "ward__code",
    "ward__district",
)


def offer_rows(offers: Iterable[dict]) -> list[dict]:
    """Each offer (values of `OFFER_ROW` or `HISTORY_ROW`) with its cells ready: `url`, `batch_url`, `reference`,
    `ward_name`, `ward_code`, `district`, `service_level`, `hours` ('4.5 hours'), `hours_a_week`
    ('4.5'), `branch`, `provider`, `sent`, `start` (the offered start), `reason`, `response_tag`
    and `outcome_tag`; `urgent`, `batch_id`, `placement_response` and `outcome` as read."""
    offer_link, batch_link = link_for("brokerage:offer"), link_for("brokerage:batch")
    day = day_labels()
    hours, hours_a_week = cache(wording.hours), cache(_hours_a_week)  # a few amounts repeat
    return [
        {
            "id": o["id"],
            "url": offer_link(o["id"]),
            "urgent": o["urgent"],
            "batch_id": o["batch_id"],
            "batch_url": batch_link(o["batch_id"]) if o["batch_id"] else "",
            "reference": o["package__reference"],
            "ward_name": o["package__ward__name"],
            "ward_code": o["package__ward__code"],
            "district": district_of(o["package__postcode"]),
            "service_level": _label(SERVICE_LEVELS, o["package__service_level"]),
            "hours": hours(o["package__hours_per_week"]),
            "hours_a_week": hours_a_week(o["package__hours_per_week"]),
            "branch": o["branch__name"],
            "provider": o.get("provider__name", ""),
            "sent": day(o["sent_at"]),
            "deadline": o["deadline"],
            "placement_response": o["placement_response"],
            "response_tag": tag_of(RESPONSE_TAGS, o["placement_response"]),
            "start": day(o["offered_start_date"]),
            "reason": _label(REASONS, o["reason"]),
            "outcome": o["outcome"],
            "outcome_tag": tag_of(OUTCOME_TAGS, o["outcome"]),
        }
        for o in offers
    ]


def with_deadline_cells(rows: list[dict], now: datetime, warning: int) -> list[dict]:
    """Give each offer row `deadline_cell` (as `brokerage_tags.deadline_cell` writes it, "Deadline
    soon" under `warning` seconds left) and `answerable` (open, its deadline not passed)."""
    day, zone = day_labels(), timezone.get_current_timezone()
    for row in rows:
        remaining = (row["deadline"] - now).total_seconds()
        is_open = row["outcome"] == "open"
        row["answerable"] = is_open and remaining > 0
        row["deadline_cell"] = deadline_html(
            row["deadline"].astimezone(zone),
            is_open=is_open,
            left=time_left(row["deadline"], now),
            soon=0 < remaining < warning,
            day=day,
        )
    return rows


def package_rows(packages: list[dict]) -> list[dict]:
    """Each package (values of `PACKAGE_ROW`, with `offers_sent` and `offers_made`) with its
    cells ready: `url`, `ward_name`, `ward_code`, `district` (the ward's), `service_level`,
    `hours_a_week`, `start`, `status_tag` and `offers` ('3 of 10', or '–' before any is sent;
    a number as the template would write it, with no thousands separator)."""
    link, day, hours_a_week = link_for("brokerage:package"), day_labels(), cache(_hours_a_week)
    for p in packages:
        p["url"] = link(p["id"])
        p["ward_name"], p["ward_code"] = p["ward__name"], p["ward__code"]
        p["district"] = p["ward__district"]
        p["service_level"] = _label(SERVICE_LEVELS, p["service_level"])
        p["hours_a_week"] = hours_a_week(p["hours_per_week"])
        p["start"] = day(p["start_date"])
        p["status_tag"] = tag_of(STATUS_TAGS, p["status"])
        sent = p["offers_sent"]
        p["offers"] = f"{p['offers_made']} of {sent}" if sent else "–"
    return packages


def _hours_a_week(hours) -> str:
    """As `{{ hours|floatformat:"-2" }}` writes them: '4.5', '10', '7.25'."""
    return floatformat(hours, "-2")


def _label(labels: dict[str, str], value: str) -> str:
    """A choice's label, as `get_<field>_display()` gives it (a value not a choice as it is)."""
    return labels.get(value, value)
