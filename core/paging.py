"""Pages of a list that never count the world (issue 13).

Django's `Paginator` counts every row of the list (`SELECT COUNT(*)`) before it shows a page, and
its page links loop over every page number. On a list that grows with the market (offers, e-mails,
packages) both grow with the data. `BoundedPaginator` reads a page with one row more than it shows
(so it knows whether there is a next page without counting), and counts, only when a page asks,
at most `COUNT_CAP` + 1 rows: a list of more says "more than 1,000" rather than a number it
would have to scan millions of rows for. `page_links` gives the few page links a pager shows
(first, last when known, the current one and its neighbours), never a loop over every page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import IntegerField, QuerySet
from django.db.models.expressions import RawSQL

# Past this many rows a list says "more than 1,000" (the API's `count` turns to an estimate at the
# same point, `core.api.EstimatedCountPagination.exact_up_to`): 20 pages of 50, past which one
# filters or downloads the CSV rather than pages on.
COUNT_CAP = 1_000
# The name a page's rows carry their list's bounded count under (`BoundedPaginator._read`).
COUNTED = "bounded_count_"


class BoundedPaginator(Paginator):
    """A `Paginator` whose `count` is exact up to `cap` rows and otherwise `cap` + 1, with
    `capped` true; the page itself never needs the count (the same queries however long the
    list, so a page's query count is pinned whatever the data). Past the end of a list it shows the last page when the
    count is known, else the first (a typed page number far past the end costs no count); a page
    number that is not one, or below 1, shows the first.

    With `values`, a queryset's page is read as dicts of those fields (`QuerySet.values`), for a
    list that shows a few fields of many rows; the count still reads the list's keys alone (the
    joins those fields need would otherwise stay in it)."""

    def __init__(
        self, object_list, per_page: int, cap: int | None = None, *, values: Sequence[str] = ()
    ) -> None:
        super().__init__(object_list, per_page)
        self.cap = COUNT_CAP if cap is None else cap
        self.values = tuple(values)

    @cached_property
    def count(self) -> int:
        """At most `cap` + 1, asked only when a page shows it (one bounded query); a caller that
        counted already (`bounded_counts`) may set it."""
        if hasattr(self.object_list, "values"):  # a queryset: a bounded count of its keys alone
            return self.object_list.order_by().values("pk")[: self.cap + 1].count()
        return min(len(self.object_list), self.cap + 1)

    @property
    def capped(self) -> bool:
        """True when there are more rows than `cap`: `count` is then a lower bound."""
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        """The pages known to exist: all of them unless `capped`."""
        return max(math.ceil(self.count / self.per_page), 1)

    def validate_number(self, number) -> int:
        """A whole number from 1; no upper bound (that would need the count)."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        return number

    def page(self, number) -> BoundedPage:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        given = self.__dict__.get("count")  # a count set by the caller (or already asked)
        if given is not None and given <= self.cap and bottom >= given:
            rows = []  # nothing there: no need to ask
        else:
            rows = self._read(bottom, given is None)
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        return BoundedPage(rows, number, self, more)

    def _read(self, bottom: int, count_too: bool) -> list:
        """The rows from `bottom`, one more than a page. With `values`, and `count_too` (the
        count not yet known), the page's query asks the bounded count as well, a subquery every
        row carries (one round trip fewer): the count is then known when any row came back, or
        when page 1 came back empty (0)."""
        window = slice(bottom, bottom + self.per_page + 1)
        if not self.values:
            return list(self.object_list[window])
        if not (count_too and isinstance(self.object_list, QuerySet)):
            return list(self.object_list[window].values(*self.values))
        try:
            sql, params = _bounded_count_sql(self.object_list, self.cap)
        except EmptyResultSet:
            self.count = 0
            return []
        counted = RawSQL(sql, params, output_field=IntegerField())  # noqa: S611 - the ORM's SQL
        rows = list(
            self.object_list.annotate(**{COUNTED: counted})[window].values(*self.values, COUNTED)
        )
        if rows:
            self.count = rows[0][COUNTED]
            for row in rows:
                del row[COUNTED]
        elif bottom == 0:
            self.count = 0
        return rows

    def get_page(self, number) -> BoundedPage:
        try:
            number = self.validate_number(number)
        except (PageNotAnInteger, EmptyPage):
            return self.page(1)
        try:
            return self.page(number)
        except EmptyPage:
            return self.page(self.num_pages if not self.capped else 1)


class BoundedPage(Page):
    """A page that knows whether another follows from the row read beyond it."""

    def __init__(self, object_list, number: int, paginator: BoundedPaginator, more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more

    def start_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + 1 if self.object_list else 0

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


def page_links(page: Page) -> list[int | None]:
    """The page numbers a pager shows, `None` for an ellipsis: the first, the current one and its
    neighbours, the last when the count is known, and an ellipsis two away from the current one (or
    after the neighbours when more pages follow than are known). A few items, whatever the pages."""
    current = page.number
    capped = getattr(page.paginator, "capped", False)
    last = page.paginator.num_pages
    if capped:
        last = max(last, current + 1 if page.has_next() else current)
    shown = {1, current - 1, current, current + 1} | (set() if capped else {last})
    links: list[int | None] = []
    for n in sorted({1, last, *range(current - 2, current + 3)}):
        if 1 <= n <= last and (n in shown or abs(n - current) == 2):
            links.append(n if n in shown else None)
    if capped and links[-1] is not None and links[-1] >= current + 1 and page.has_next():
        links.append(None)  # more pages than are counted
    return links


def bounded_counts(querysets: dict[str, QuerySet], cap: int | None = None) -> dict[str, int]:
    """Each queryset's count, exact up to `cap` and otherwise `cap` + 1, all in one query of
    bounded subqueries (each reads at most `cap` + 1 keys, an index range where there is one):
    `{name: n}`. An empty queryset (`.none()`, or a filter that can match nothing, such as an
    `__in` of no ids) is 0 without asking the database."""
    cap = COUNT_CAP if cap is None else cap
    counts = dict.fromkeys(querysets, 0)
    parts, params, db = [], [], None
    for name, queryset in querysets.items():
        if queryset.query.is_empty():
            continue
        try:
            sql, more = _bounded_count_sql(queryset, cap)
        except EmptyResultSet:
            continue
        parts.append((name, f"({sql})"))
        params.extend(more)
        db = queryset.db
    if parts:
        with connections[db].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(sql for _, sql in parts), params)
            counts.update(zip((name for name, _ in parts), cursor.fetchone(), strict=True))
    return counts


def _bounded_count_sql(queryset: QuerySet, cap: int) -> tuple[str, tuple]:
    """The SQL counting `queryset`'s rows up to `cap` + 1 (it reads at most that many keys):
    the ORM's own SQL for the queryset, its values passed as parameters. Raises EmptyResultSet
    for a filter that can match nothing."""
    sql, params = queryset.order_by().values("pk")[: cap + 1].query.sql_with_params()
    return f"SELECT COUNT(*) FROM ({sql}) AS bounded", params  # noqa: S608


def shown_count(n: int, cap: int | None = None) -> str:
    """A bounded count as a page says it: the number, or '1,000+' past the cap."""
    cap = COUNT_CAP if cap is None else cap
    return f"{cap:,}+" if n > cap else str(n)
