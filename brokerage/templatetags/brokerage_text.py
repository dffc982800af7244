"""`{% load brokerage_text %}`: `{{ package.claim_hours|hours }}` and `{{ reason|sentence }}`."""

from django import template

from brokerage import wording

register = template.Library()


@register.filter
def hours(value) -> str:
    """'1 hour', '4.29 hours' (see `brokerage.wording.hours`)."""
    return wording.hours(value)


@register.filter
def sentence(text) -> str:
    """The text with exactly one closing full stop (see `brokerage.wording.sentence`)."""
    return wording.sentence(text)
