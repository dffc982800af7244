"""`{% page_links page as links %}`: the few page numbers a pager shows; `{% page_query %}`: its
links' query string; `{{ n|shown_count }}`: a bounded count as a page says it, "1,000+" past the
cap; `{% filter_select %}`: a list's filter as a select (issue 13)."""

from __future__ import annotations

from urllib.parse import quote

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

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


@register.simple_tag(takes_context=True)
def page_query(context, param: str = "page") -> SafeString:
    """The query string of a pager's links up to the page number: "?", every GET parameter but
    `param` ("page", or another for a second list on one page), then "`param`=". Made once a
    pager (`{% page_query as query %}`), not once a link; each key and value quoted as the
    `urlencode` filter quotes them (nothing left to escape)."""
    query = context["request"].GET
    kept = "".join(
        f"{quote(key)}={quote(value)}&amp;"
        for key, values in query.lists()
        if key != param
        for value in values
    )
    return mark_safe(f"?{kept}{quote(param)}=")  # noqa: S308 - quoted above


@register.simple_tag
def filter_select(name: str, label: str, choices, current) -> SafeString:
    """A list's filter as a GOV.UK select: "Any", then each (value, text) of `choices` (a
    FilterSet filter's `extra.choices`), `current` (the request's value) selected. Written in one
    pass, every value escaped."""
    esc = conditional_escape
    options = "".join(
        f'<option value="{esc(value)}"{" selected" if current == value else ""}>{esc(text)}</option>'
        for value, text in choices
    )
    return mark_safe(  # noqa: S308 - every value escaped above
        '<div class="govuk-form-group govuk-!-margin-bottom-0">\n'
        f'  <label class="govuk-label" for="{esc(name)}">{esc(label)}</label>\n'
        f'  <select class="govuk-select" id="{esc(name)}" name="{esc(name)}">\n'
        '    <option value="">Any</option>\n'
        f"    {options}\n"
        "  </select>\n"
        "</div>"
    )
