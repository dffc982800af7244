"""`{% load brokerage_tags %}`: the GOV.UK tags of a package's status and an offer's placement
response and outcome, and an offer's deadline with the time left, as filters.

One Python call per cell rather than an `{% include %}` with a chain of `{% if %}`s: a list page
draws them on every row (issue 13), and the include templates of the same names use these too.
"""

from __future__ import annotations

from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

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


@register.filter
def package_status_tag(package) -> SafeString:
    """The package's status as a tag (Draft grey, Queued blue, …)."""
    return _tag(STATUS_COLOURS.get(package.status, "grey"), package.get_status_display())


@register.filter
def response_tag(offer) -> SafeString:
    """The placement response (P9) as a tag; no answer yet reads "Awaiting answer"."""
    if not offer.placement_response:
        return _tag("yellow", "Awaiting answer")
    colour = RESPONSE_COLOURS.get(offer.placement_response, "grey")
    return _tag(colour, offer.get_placement_response_display())


@register.filter
def outcome_tag(offer) -> SafeString:
    """The offer's outcome as a tag."""
    return _tag(OUTCOME_COLOURS.get(offer.outcome, "grey"), offer.get_outcome_display())


@register.filter
def deadline_cell(offer) -> SafeString:
    """The deadline (London time) and, while the offer is open, the time left (`time_left`) and a
    "Deadline soon" tag (`deadline_soon`), both marked by the view."""
    when = date_format(localtime(offer.deadline), "H:i, j M Y")
    if offer.outcome != "open":
        return format_html("{}", when)
    soon = DEADLINE_SOON if getattr(offer, "deadline_soon", False) else ""
    left = getattr(offer, "time_left", "")
    return format_html('{}<br><span class="govuk-body-s">{}</span>{}', when, left, soon)
