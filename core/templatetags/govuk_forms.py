"""Template helpers for the one GOV.UK form base (`core.forms`)."""

from __future__ import annotations

from django import template

from core.forms import error_links as form_error_links

register = template.Library()


@register.simple_tag
def error_links(form) -> list[tuple[str, str]]:
    """`{% error_links form as links %}`: (anchor, message) for each error of any form (none if
    there is no form), each anchor the id of the input to fix."""
    return form_error_links(form)
