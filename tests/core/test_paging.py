"""Issue 13, goal 2: `core.paging` — pages that never count the world. A page reads one row more
than it shows instead of counting; a count stops past the cap; the pager's links are a handful
whatever the number of pages."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import paging
from core.paging import BoundedPaginator, bounded_counts, page_links, shown_count
from providers.models import Branch
from tests.factories import BranchFactory, ProviderFactory, WardFactory
from wards.models import Ward


def test_a_page_knows_a_next_page_from_one_row_more():
    rows = list(range(1, 24))  # 23 rows, 5 a page
    first = BoundedPaginator(rows, 5).get_page(1)
    assert list(first) == [1, 2, 3, 4, 5] and first.has_next() and not first.has_previous()
    last = BoundedPaginator(rows, 5).get_page(5)
    assert list(last) == [21, 22, 23] and not last.has_next() and last.has_previous()
    assert (last.start_index(), last.end_index()) == (21, 23)
    assert last.paginator.count == 23 and not last.paginator.capped


def test_past_the_end_and_bad_numbers_show_a_real_page():
    rows = list(range(12))
    assert BoundedPaginator(rows, 5).get_page(99).number == 3  # the last page: 12 rows known
    assert BoundedPaginator(rows, 5).get_page("x").number == 1
    assert BoundedPaginator(rows, 5).get_page(0).number == 1
    assert BoundedPaginator(rows, 5, cap=3).get_page(99).number == 1  # end unknown: the first
    assert list(BoundedPaginator([], 5).get_page(1)) == []


def test_the_count_stops_past_the_cap():
    paginator = BoundedPaginator(list(range(100)), 10, cap=25)
    page = paginator.get_page(1)
    assert paginator.count == 26 and paginator.capped and page.has_next()
    assert shown_count(paginator.count, cap=25) == "25+" and shown_count(25, cap=25) == "25"
    assert shown_count(1_001) == "1,000+" and shown_count(1_000) == "1000"


@pytest.mark.parametrize(
    ("number", "pages", "capped", "expected"),
    [
        (1, 1, False, [1]),
        (1, 400, False, [1, 2, None, 400]),
        (5, 400, False, [1, None, 4, 5, 6, None, 400]),
        (400, 400, False, [1, None, 399, 400]),
        (3, 5, False, [1, 2, 3, 4, 5]),
        (1, 21, True, [1, 2, None]),  # more pages than counted: no last number
        (30, 21, True, [1, None, 29, 30, 31, None]),
    ],
)
def test_page_links_are_a_handful_whatever_the_pages(number, pages, capped, expected):
    size = 10
    rows = list(range(pages * size if not capped else 10_000))
    paginator = BoundedPaginator(rows, size, cap=pages * size - 1 if capped else 10**9)
    assert page_links(paginator.get_page(number)) == expected


@pytest.mark.django_db
def test_a_queryset_page_is_one_query_and_its_count_one_bounded_query():
    for i in range(30):
        WardFactory(code=f"E05{i:06d}", name=f"W{i}")
    paginator = BoundedPaginator(Ward.objects.order_by("code"), 10, cap=12)
    with CaptureQueriesContext(connection) as ctx:
        page = paginator.get_page(2)
        assert [w.name for w in page] == [f"W{i}" for i in range(10, 20)] and page.has_next()
    assert len(ctx) == 1 and "LIMIT 11" in ctx.captured_queries[0]["sql"]
    with CaptureQueriesContext(connection) as ctx:
        assert paginator.capped and paginator.count == 13
    assert len(ctx) == 1 and "LIMIT 13" in ctx.captured_queries[0]["sql"]


@pytest.mark.django_db
def test_a_page_read_as_values_counts_the_keys_without_their_joins():
    provider = ProviderFactory(name="Amber Homecare")
    for i in range(12):
        BranchFactory(provider=provider, ref=f"B{i:02d}")
    rows = Branch.objects.filter(provider=provider).order_by("ref")
    paginator = BoundedPaginator(rows, 5, values=("ref", "provider__name"))
    with CaptureQueriesContext(connection) as ctx:
        page = paginator.get_page(2)
        assert paginator.count == 12
    assert list(page) == [
        {"ref": f"B{i:02d}", "provider__name": "Amber Homecare"} for i in range(5, 10)
    ]
    # One query: the page's, asking the bounded count too, of the keys alone (no join).
    [sql] = [q["sql"] for q in ctx.captured_queries]
    assert "JOIN" in sql
    counted = re.search(r"\(SELECT COUNT\(\*\) FROM \((.*?)\) AS bounded\)", sql).group(1)
    assert "JOIN" not in counted and "LIMIT 1001" in counted


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("number", "count", "rows", "queries"),
    [
        (1, 12, 5, 1),  # the count with the page
        (3, 12, 2, 1),  # the last page: its rows carry it too
        (9, 12, 2, 3),  # past the end: no row carries it, so it is asked, then the last page read
    ],
)
def test_a_values_page_knows_its_count_from_its_own_rows(number, count, rows, queries):
    provider = ProviderFactory(name="Amber Homecare")
    for i in range(12):
        BranchFactory(provider=provider, ref=f"B{i:02d}")
    paginator = BoundedPaginator(
        Branch.objects.filter(provider=provider).order_by("ref"), 5, values=("ref",)
    )
    with CaptureQueriesContext(connection) as ctx:
        page = paginator.get_page(number)
        assert paginator.count == count and len(page) == rows
    assert len(ctx) == queries
    assert all(set(row) == {"ref"} for row in page)  # the count is not left in a row


@pytest.mark.django_db
def test_an_empty_values_list_counts_0_with_its_first_page():
    paginator = BoundedPaginator(Branch.objects.filter(ref="none"), 5, values=("ref",))
    with CaptureQueriesContext(connection) as ctx:
        assert list(paginator.get_page(1)) == [] and paginator.count == 0
    assert len(ctx) == 1
    nothing = BoundedPaginator(Branch.objects.filter(pk__in=[]), 5, values=("ref",))
    with CaptureQueriesContext(connection) as ctx:
        assert list(nothing.get_page(1)) == [] and nothing.count == 0
    assert len(ctx) == 0


@pytest.mark.django_db
def test_bounded_counts_are_one_query_each_bounded(monkeypatch):
    for i in range(8):
        WardFactory(code=f"E05{i:06d}", district="Preston" if i < 6 else "Chorley")
    monkeypatch.setattr(paging, "COUNT_CAP", 4)
    with CaptureQueriesContext(connection) as ctx:
        counts = bounded_counts(
            {
                "preston": Ward.objects.filter(district="Preston"),
                "chorley": Ward.objects.filter(district="Chorley"),
                "none": Ward.objects.none(),
            }
        )
    assert counts == {"preston": 5, "chorley": 2, "none": 0}  # 6 Preston wards: past the cap
    assert len(ctx) == 1
    assert bounded_counts({"none": Ward.objects.none()}) == {"none": 0}


# --- The pager's and the filters' markup, each written in one pass (issue 13) -----------------


def render(source: str, **context) -> str:
    from django.template import Context, Template

    return Template("{% load portal_paging %}" + source).render(Context(context))


def test_page_query_keeps_every_other_parameter_quoted_once_a_pager():
    from django.test import RequestFactory

    request = RequestFactory().get(
        "/offers/", {"ward": "E05 & <x>", "outcome": ["open", "awarded"], "page": "3"}
    )
    assert render("{% page_query as q %}{{ q }}", request=request) == (
        "?ward=E05%20%26%20%3Cx%3E&amp;outcome=open&amp;outcome=awarded&amp;page="
    )
    # A second list on one page keeps the first's page and drops its own.
    assert render('{% page_query "answered_page" as q %}{{ q }}', request=request) == (
        "?ward=E05%20%26%20%3Cx%3E&amp;outcome=open&amp;outcome=awarded&amp;page=3&amp;answered_page="
    )


def test_filter_select_escapes_and_selects_the_current_choice():
    html = render(
        "{% filter_select 'outcome' label choices current %}",
        label="Outcome <now>",
        choices=[("open", "Open"), ("a&b", "<b>Both</b>")],
        current="a&b",
    )
    assert '<label class="govuk-label" for="outcome">Outcome &lt;now&gt;</label>' in html
    assert '<select class="govuk-select" id="outcome" name="outcome">' in html
    assert '<option value="">Any</option>' in html
    assert '<option value="open">Open</option>' in html
    assert '<option value="a&amp;b" selected>&lt;b&gt;Both&lt;/b&gt;</option>' in html
    assert "<b>" not in html
