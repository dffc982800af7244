from django import template

from kpi.dashboard_selectors import band_tag as _band_tag
from kpi.response_times import hours_words
from kpi.selectors import pct as _pct
from kpi.selectors import pct_threshold

register = template.Library()


@register.filter
def pct(value):
    """0.9642 -> '96.4%'; None -> '–'."""
    return _pct(value)


@register.filter
def hours(value):
    """K11: 3.5 -> '3.5 hours'; None -> 'no answers'."""
    return hours_words(value)


@register.filter
def threshold(value):
    """A setting's percentage: Decimal('0.950') -> '95%'."""
    return pct_threshold(value)


@register.filter
def band_tag(band):
    """The GOV.UK tag colour for a risk band."""
    return _band_tag(band)


@register.filter
def band_panel(band):
    """The panel colour for a risk band (K2): GOV.UK green for low; amber and red with text of
    enough contrast (static/css/kpi.css) for medium and high; grey with no band."""
    return {
        "low": "govuk-panel--confirmation",
        "medium": "kpi-panel--medium",
        "high": "kpi-panel--high",
    }.get(band, "kpi-panel--none")


@register.filter
def level_words(level):
    return {1: "one", 2: "two", 3: "three"}.get(level, str(level))
