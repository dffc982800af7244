"""The rows of the package queue, the offers inbox and the offer history as those pages show them
(issue 13): read as plain values in the page's one query, and each row written as its `<tr>` in
one pass, so the templates print one string a row. Walking model instances in the templates (a
chain of lookups per cell, a reversed URL, a formatted date and a choice's label on every row),
and then even a template lookup per cell (about 1,250 on the inbox), took most of a page of 50
rows. Every value goes through `core.listing.row_html` (`format_html` without its lazy-string
checks), which escapes it; the markup is the templates' own,
byte for byte. Work that repeats down a list is done once: the link's route is reversed once, a
day is formatted once, a tag is made once per choice (`brokerage_tags`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import cache, lru_cache

from django.template.defaultfilters import floatformat
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from core.listing import day_labels, escaped, link_for, row_html

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

# What an offer's row shows, through its package and ward; `offer_row` adds the branch and the
# provider where a list shows them.
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
)


def offer_row(*, show_branch: bool, show_provider: bool = False) -> tuple[str, ...]:
    """The values an offer list reads: `OFFER_ROW`, the branch's name where the list shows a
    branch column, and the provider's with it where the council's history shows it beneath. A
    branch's own lists show neither and join neither (issue 13: two joins fewer to plan)."""
    return (
        *OFFER_ROW,
        *(("branch__name",) if show_branch else ()),
        *(("provider__name",) if show_branch and show_provider else ()),
    )


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
    """A table row's `row_html` string: its cells on lines of their own, as the templates laid
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


def waiting_table_rows(
    offers: Iterable[dict], *, show_branch: bool, now: datetime, warning: int
) -> list[SafeString]:
    """The inbox's offers waiting for an answer (values of `offer_row`), each as its table row
    (`<tr>`): the offer's link, its deadline with the time left at `now` ("Deadline soon" under
    `warning` seconds), its place and its hours a week; the branch column only with
    `show_branch`. One `row_html` a row, which escapes every value."""
    esc, language = _escaped_once(), translation.get_language()
    return [
        row_html(
            WAITING_TR,
            *link,
            batch,
            deadline,
            ward,
            district,
            level,
            esc(_hours_a_week(o["package__hours_per_week"], language)),
            branch,
        )
        for o, link, batch, deadline, ward, district, level, branch, _ in _inbox_cells(
            offers, show_branch=show_branch, now=now, warning=warning, esc=esc, day=day_labels()
        )
    ]


def answered_table_rows(
    offers: Iterable[dict], *, show_branch: bool, now: datetime, warning: int
) -> list[SafeString]:
    """The inbox's answered offers not yet awarded (values of `offer_row`), each as its table row
    (`<tr>`): as `waiting_table_rows`, with the answer, the start offered and the outcome in place
    of the hours, and the deadline only while it can still be answered (else that the council
    decides). One `row_html` a row, which escapes every value."""
    day = day_labels()
    rows = []
    for o, link, batch, deadline, ward, district, level, branch, answerable in _inbox_cells(
        offers, show_branch=show_branch, now=now, warning=warning, esc=_escaped_once(), day=day
    ):
        start = day(o["offered_start_date"])
        rows.append(
            row_html(
                ANSWERED_TR,
                *link,
                batch,
                ward,
                district,
                level,
                branch,
                tag_of(RESPONSE_TAGS, o["placement_response"]),
                row_html(START, start) if start else NOTHING,
                tag_of(OUTCOME_TAGS, o["outcome"]),
                deadline if answerable else PASSED,
            )
        )
    return rows


def history_table_rows(
    offers: Iterable[dict], *, show_branch: bool, show_provider: bool = False
) -> list[SafeString]:
    """Each offer of the history (values of `offer_row`) as its table row (`<tr>`): the
    package's link, its place, service level and hours, the day it was sent, the answer with the
    start offered or the reason beneath, and the outcome; the branch column only with
    `show_branch`, the provider beneath the branch with `show_provider` too (the council's).
    One `row_html` a row, which escapes every value."""
    day, esc = day_labels(), _escaped_once()
    rows = []
    for o, link, ward, district, level, branch in _offer_cells(
        offers, show_branch=show_branch, show_provider=show_provider, esc=esc
    ):
        if o["placement_response"] == "offer_made":
            beneath = row_html(START, day(o["offered_start_date"]))
        else:
            reason = _label(REASONS, o["reason"])
            beneath = row_html(BENEATH, reason) if reason else NOTHING
        rows.append(
            row_html(
                HISTORY_TR,
                *link,
                ward,
                esc(o["package__ward__code"]),
                district,
                level,
                esc(_hours(o["package__hours_per_week"])),
                branch,
                esc(day(o["sent_at"])),
                tag_of(RESPONSE_TAGS, o["placement_response"]),
                beneath,
                tag_of(OUTCOME_TAGS, o["outcome"]),
            )
        )
    return rows


def _offer_cells(
    offers: Iterable[dict],
    *,
    show_branch: bool,
    show_provider: bool,
    esc: Callable[[object], SafeString],
) -> Iterator[tuple]:
    """Each offer with what every offer table shows of it alike, escaped: (the offer, its link's
    values (url, reference, the Urgent tag or ''), its ward's name, its postcode district, its
    service level, its branch cell: '' without `show_branch`, the provider beneath with
    `show_provider`). The link's route is reversed, and each branch cell made, once a list."""
    offer_link = link_for("brokerage:offer")
    branch_cell = cache(_branch_cell)
    for o in offers:
        yield (
            o,
            (offer_link(o["id"]), o["package__reference"], URGENT if o["urgent"] else NOTHING),
            esc(o["package__ward__name"]),
            esc(district_of(o["package__postcode"])),
            esc(_label(SERVICE_LEVELS, o["package__service_level"])),
            branch_cell(o["branch__name"], o.get("provider__name", ""), show_provider)
            if show_branch
            else NOTHING,
        )


def _inbox_cells(
    offers: Iterable[dict],
    *,
    show_branch: bool,
    now: datetime,
    warning: int,
    esc: Callable[[object], SafeString],
    day: Callable[[object], str],
) -> Iterator[tuple]:
    """Each offer with what both inbox tables show of it alike: (the offer, its link's values as
    `_offer_cells` gives them, its batch's link or '', the deadline with the time left at `now` and
    "Deadline soon" under `warning` seconds, the ward, district and service level, the branch cell,
    whether it can still be answered: open, its deadline ahead). Flat, as the rows take them: a
    tuple less to make a row."""
    batch_link, zone = link_for("brokerage:batch"), timezone.get_current_timezone()

    @cache
    def deadline(moment: datetime, is_open: bool) -> tuple[SafeString, bool]:
        """The deadline's cell and whether it can still be answered, once a deadline a list: a
        day's distribution gives its offers one deadline (two with urgent ones)."""
        remaining = (moment - now).total_seconds()
        cell = deadline_html(
            moment.astimezone(zone),
            is_open=is_open,
            left=time_left(moment, now),
            soon=0 < remaining < warning,
            day=day,
        )
        return cell, is_open and remaining > 0

    for o, link, ward, district, level, branch in _offer_cells(
        offers, show_branch=show_branch, show_provider=False, esc=esc
    ):
        batch = o["batch_id"]
        cell, answerable = deadline(o["deadline"], o["outcome"] == "open")
        yield (
            o,
            link,
            row_html(BATCH, batch_link(batch), batch, link[1]) if batch else NOTHING,
            cell,
            ward,
            district,
            level,
            branch,
            answerable,
        )


def _branch_cell(branch: str, provider: str, show_provider: bool) -> SafeString:
    """The branch's cell, with the provider beneath for the council's history."""
    if show_provider:
        return row_html(WARD_TD, branch, provider)
    return row_html(TD, branch)


def package_table_rows(packages: list[dict]) -> list[SafeString]:
    """Each package (values of `PACKAGE_ROW`, with `offers_sent` and `offers_made`) as its
    table row (`<tr>`), as the template wrote it cell by cell: one `row_html` a row, which
    escapes every value. Offers read '3 of 10', or '–' before any is sent."""
    link, day, language = link_for("brokerage:package"), day_labels(), translation.get_language()
    esc = _escaped_once()
    rows = []
    for p in packages:
        sent = p["offers_sent"]
        rows.append(
            row_html(
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
    service levels, hours and days that repeat down a list reach `row_html` already escaped
    (SafeString), which it passes through without escaping the string again."""
    return cache(escaped)


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
