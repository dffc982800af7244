"""`{% load brokerage_tags %}`: the GOV.UK tags of a package's status and an offer's placement
response and outcome, and an offer's deadline with the time left, as filters.

One Python call per cell rather than an `{% include %}` with a chain of `{% if %}`s: a list page
draws them on every row (issue 13), and the include templates of the same names use these too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape

from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from brokerage.models import Outcome, PackageStatus, PlacementResponse

register = template.Library()

STATUS_COLOURS = {
    "draft": "grey",
    "queued": "blue",
    "offered": "light-blue",
    "awarded": "green",
    "withdrawn": "orange",
    "cancelled": "red",
}
RESPONSE_COLOURS = {"offer_made": "green", "unable_to_accept": "orange", "no_response": "red"}
OUTCOME_COLOURS = {"open": "blue", "awarded": "green", "withdrawn": "orange"}
DEADLINE_SOON = mark_safe(' <strong class="govuk-tag govuk-tag--red">Deadline soon</strong>')


def _tag(colour: str, label) -> SafeString:
    return format_html('<strong class="govuk-tag govuk-tag--{}">{}</strong>', colour, label)


def _tags(choices, colours: dict[str, str]) -> dict[str, SafeString]:
    """Each choice's tag, made once: a list draws the same few on every row."""
    return {value: _tag(colours.get(value, "grey"), label) for value, label in choices}


STATUS_TAGS = _tags(PackageStatus.choices, STATUS_COLOURS)
RESPONSE_TAGS = _tags(PlacementResponse.choices, RESPONSE_COLOURS) | {
    None: _tag("yellow", "Awaiting answer"),
    "": _tag("yellow", "Awaiting answer"),
}
OUTCOME_TAGS = _tags(Outcome.choices, OUTCOME_COLOURS)


def tag_of(tags: dict[str, SafeString], value) -> SafeString:
    """The tag made for `value`; a value that is no choice reads as itself, grey (as
    `get_<field>_display()` gives it)."""
    return tags.get(value) or _tag("grey", value)


@register.filter
def package_status_tag(package) -> SafeString:
    """The package's status as a tag (Draft grey, Queued blue, …)."""
    return tag_of(STATUS_TAGS, package.status)


@register.filter
def response_tag(offer) -> SafeString:
    """The placement response (P9) as a tag; no answer yet reads "Awaiting answer"."""
    return tag_of(RESPONSE_TAGS, offer.placement_response)


@register.filter
def outcome_tag(offer) -> SafeString:
    """The offer's outcome as a tag."""
    return tag_of(OUTCOME_TAGS, offer.outcome)


@register.filter
def deadline_cell(offer) -> SafeString:
    """The deadline (London time) and, while the offer is open, the time left (`time_left`) and a
    "Deadline soon" tag (`deadline_soon`), both marked by the view."""
    return deadline_html(
        localtime(offer.deadline),
        is_open=offer.outcome == "open",
        left=getattr(offer, "time_left", ""),
        soon=getattr(offer, "deadline_soon", False),
    )


def deadline_html(
    local: datetime, *, is_open: bool, left: str, soon: bool, day: Callable | None = None
) -> SafeString:
    """`deadline_cell` from its values, the deadline given in London time; `day`
    (`core.listing.day_labels`) saves a list formatting the same day again. Escaped as
    `format_html` would, by `html.escape` itself (a list draws one a row)."""
    when = escape(f"{local:%H:%M}, {day(local.date()) if day else date_format(local, 'j M Y')}")
    if not is_open:
        return mark_safe(when)  # noqa: S308 - escaped above
    soon_tag = DEADLINE_SOON if soon else ""
    return mark_safe(f'{when}<br><span class="govuk-body-s">{escape(left)}</span>{soon_tag}')  # noqa: S308 - both escaped
