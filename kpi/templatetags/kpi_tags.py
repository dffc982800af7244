from django import template

from kpi.selectors import pct as _pct

register = template.Library()


@register.filter
def pct(value):
    """0.9642 -> '96.4%'; None -> '–'."""
    return _pct(value)


@register.filter
def band_tag(band):
    """The GOV.UK tag colour for a risk band."""
    return {"low": "govuk-tag--green", "medium": "govuk-tag--orange", "high": "govuk-tag--red"}.get(
        band, "govuk-tag--grey"
    )


@register.filter
def level_words(level):
    return {1: "one", 2: "two", 3: "three"}.get(level, str(level))
