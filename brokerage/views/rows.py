"""The rows of the package queue, the offers inbox and the offer history as those pages show them
(issue 13): read as plain values in the page's one query, and each row written as its `<tr>` in
one pass, so the templates print one string a row. Walking model instances in the templates (a
chain of lookups per cell, a reversed URL, a formatted date and a choice's label on every row),
and then even a template lookup per cell (about 1,250 on the inbox), took most of a page of 50
rows. Every value goes through `format_html`, which escapes it; the markup is the templates' own,
byte for byte. Work that repeats down a list is done once: the link's route is reversed once, a
day is formatted once, a tag is made once per choice (`brokerage_tags`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache, lru_cache

from django.template.defaultfilters import floatformat
from django.utils import timezone, translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

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


def _tr(*cells: str) -> str:
    """A table row's `format_html` string: its cells on lines of their own, as the templates laid
    them out (each a `<td>`, or '{}' for a cell only some tables have)."""
    lines = "".join(f"\n      {cell}" for cell in cells)
    return f'\n    <tr class="govuk-table__row">{lines}\n    </tr>\n  '


TD = '<td class="govuk-table__cell">{}</td>'
NUMERIC_TD = '<td class="govuk-table__cell govuk-table__cell--numeric">{}</td>'
WARD_TD = '<td class="govuk-table__cell">{}<br><span class="govuk-body-s">{}</span></td>'
PLACE_TD = '<td class="govuk-table__cell">{}<br><span class="govuk-body-s">{}, {}</span></td>'
# The package's link (its id, its reference), then the Urgent tag or ''.
LINK_TD = '<td class="govuk-table__cell"><a class="govuk-link" href="{}">{}</a>{}</td>'
# ... and the inbox's: then its batch's link or ''.
OFFER_TD = '<td class="govuk-table__cell"><a class="govuk-link" href="{}">{}</a>{}{}</td>'
BATCH = (
    '<br><a class="govuk-link govuk-body-s" href="{}">Batch {}'
    '<span class="govuk-visually-hidden"> for {}</span></a>'
)
TWO_TD = '<td class="govuk-table__cell">{}{}</td>'  # a tag, and '' or a line beneath it
PACKAGE_TR = _tr(LINK_TD, PLACE_TD, TD, NUMERIC_TD, TD, TWO_TD, NUMERIC_TD)
WAITING_TR = _tr(OFFER_TD, TD, WARD_TD, TD, NUMERIC_TD, "{}")
ANSWERED_TR = _tr(OFFER_TD, WARD_TD, TD, "{}", TWO_TD, TD, TD)
HISTORY_TR = _tr(
    LINK_TD,
    PLACE_TD,
    '<td class="govuk-table__cell">{}<br><span class="govuk-body-s">{} a week</span></td>',
    "{}",
    TD,
    TWO_TD,
    TD,
)
BENEATH = '<br><span class="govuk-body-s">{}</span>'
START = '<br><span class="govuk-body-s">Start {}</span>'
# Constant markup, no value in it.
URGENT = mark_safe(' <strong class="govuk-tag govuk-tag--red">Urgent</strong>')  # noqa: S308
UNCOVERED = mark_safe(  # noqa: S308
    '<br><strong class="govuk-tag govuk-tag--red portal-tag-stack">No branch covers this ward</strong>'
)
PASSED = mark_safe("Deadline passed; waiting for the council's decision")  # noqa: S308
NOTHING = mark_safe("")  # noqa: S308 - an empty cell part, passed through as it is


def offer_table_rows(
    offers: Iterable[dict],
    *,
    table: str,
    show_branch: bool,
    show_provider: bool = False,
    now: datetime | None = None,
    warning: int = 0,
) -> list[SafeString]:
    """Each offer (values of `OFFER_ROW` or `HISTORY_ROW`) as its table row (`<tr>`), as the
    templates wrote them cell by cell: `table` is "waiting" or "answered" (the inbox's two
    tables, each deadline with the time left at `now` and "Deadline soon" under `warning`
    seconds) or "history". One `format_html` a row, which escapes every value; the branch column
    only with `show_branch`, and the provider beneath the branch (the history's) with
    `show_provider` too."""
    offer_link, batch_link = link_for("brokerage:offer"), link_for("brokerage:batch")
    day, zone = day_labels(), timezone.get_current_timezone()
    language, esc = translation.get_language(), _escaped_once()
    branch_cell = cache(_branch_cell) if show_branch else lambda *_: NOTHING
    rows = []
    for o in offers:
        reference = o["package__reference"]
        url, urgent = offer_link(o["id"]), URGENT if o["urgent"] else NOTHING
        level = esc(_label(SERVICE_LEVELS, o["package__service_level"]))
        response = tag_of(RESPONSE_TAGS, o["placement_response"])
        if table == "history":
            if o["placement_response"] == "offer_made":
                beneath = format_html(START, day(o["offered_start_date"]))
            else:
                reason = _label(REASONS, o["reason"])
                beneath = format_html(BENEATH, reason) if reason else NOTHING
            rows.append(
                format_html(
                    HISTORY_TR,
                    url,
                    reference,
                    urgent,
                    esc(o["package__ward__name"]),
                    esc(o["package__ward__code"]),
                    esc(district_of(o["package__postcode"])),
                    level,
                    esc(_hours(o["package__hours_per_week"])),
                    branch_cell(o["branch__name"], o.get("provider__name", ""), show_provider),
                    esc(day(o["sent_at"])),
                    response,
                    beneath,
                    tag_of(OUTCOME_TAGS, o["outcome"]),
                )
            )
            continue
        batch = (
            format_html(BATCH, batch_link(o["batch_id"]), o["batch_id"], reference)
            if o["batch_id"]
            else NOTHING
        )
        remaining = (o["deadline"] - now).total_seconds()
        is_open = o["outcome"] == "open"
        deadline = deadline_html(
            o["deadline"].astimezone(zone),
            is_open=is_open,
            left=time_left(o["deadline"], now),
            soon=0 < remaining < warning,
            day=day,
        )
        place = (esc(o["package__ward__name"]), esc(district_of(o["package__postcode"])), level)
        branch = branch_cell(o["branch__name"], "", False)
        if table == "waiting":
            hours = esc(_hours_a_week(o["package__hours_per_week"], language))
            rows.append(format_html(WAITING_TR, url, reference, urgent, batch, deadline, *place,
                                    hours, branch))  # fmt: skip
        else:
            start = day(o["offered_start_date"])
            rows.append(
                format_html(
                    ANSWERED_TR,
                    url,
                    reference,
                    urgent,
                    batch,
                    *place,
                    branch,
                    response,
                    format_html(START, start) if start else NOTHING,
                    tag_of(OUTCOME_TAGS, o["outcome"]),
                    deadline if is_open and remaining > 0 else PASSED,
                )
            )
    return rows


def _branch_cell(branch: str, provider: str, show_provider: bool) -> SafeString:
    """The branch's cell, with the provider beneath for the council's history."""
    if show_provider:
        return format_html(WARD_TD, branch, provider)
    return format_html(TD, branch)


def package_table_rows(packages: list[dict]) -> list[SafeString]:
    """Each package (values of `PACKAGE_ROW`, with `offers_sent` and `offers_made`) as its
    table row (`<tr>`), as the template wrote it cell by cell: one `format_html` a row, which
    escapes every value. Offers read '3 of 10', or '–' before any is sent."""
    link, day, language = link_for("brokerage:package"), day_labels(), translation.get_language()
    esc = _escaped_once()
    rows = []
    for p in packages:
        sent = p["offers_sent"]
        rows.append(
            format_html(
                PACKAGE_TR,
                link(p["id"]),
                p["reference"],
                URGENT if p["urgency"] == "urgent" else NOTHING,
                esc(p["ward__name"]),
                esc(p["ward__code"]),
                esc(p["ward__district"]),
                esc(_label(SERVICE_LEVELS, p["service_level"])),
                esc(_hours_a_week(p["hours_per_week"], language)),
                esc(day(p["start_date"])),
                tag_of(STATUS_TAGS, p["status"]),
                UNCOVERED if p["status"] == "queued" and p["uncovered_at"] else NOTHING,
                esc(f"{p['offers_made']} of {sent}" if sent else "–"),
            )
        )
    return rows


def _escaped_once() -> Callable[[object], SafeString]:
    """`conditional_escape` for one list, each distinct value escaped once: the wards, districts,
    service levels, hours and days that repeat down a list reach `format_html` already escaped
    (SafeString), which it passes through at a third of the cost of escaping a string again."""
    return cache(conditional_escape)


@lru_cache(maxsize=4096)
def _hours(hours) -> str:
    """`wording.hours`, each amount worked out once (a few hundred amounts recur)."""
    return wording.hours(hours)


@lru_cache(maxsize=4096)
def _hours_a_week(hours, language: str) -> str:
    """As `{{ hours|floatformat:"-2" }}` writes them in `language` (the one active, which the
    filter reads): '4.50', '10', '7.25'. Each amount worked out once."""
    return floatformat(hours, "-2")


def _label(labels: dict[str, str], value: str) -> str:
    """A choice's label, as `get_<field>_display()` gives it (a value not a choice as it is)."""
    return labels.get(value, value)
