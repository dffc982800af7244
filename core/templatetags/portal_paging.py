"""`{% page_links page as links %}`: the few page numbers a pager shows; `{{ n|shown_count }}`: a
bounded count as a page says it, "1,000+" past the cap (issue 13)."""

from __future__ import annotations

from django import template

from core.paging import page_links as links_of
from core.paging import shown_count as shown

register = template.Library()


@register.simple_tag
def page_links(page) -> list[int | None]:
    """The page numbers to link, `None` for an ellipsis (`core.paging.page_links`)."""
    return links_of(page)


@register.filter
def shown_count(n: int) -> str:
    """The number, or "1,000+" past `core.paging.COUNT_CAP` (`core.paging.shown_count`)."""
    return shown(n)
