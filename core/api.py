"""Shared API pieces: pagination, the CSV renderer, and the one exception handler."""

import json

from django.db import connections
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.errors import as_domain_error


class Pagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}`; `?page_size=` up to 500 (API.md)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class EstimatedCountPagination(Pagination):
    """The same `{"count", "next", "previous", "results"}` and `?page=` / `?page_size=` (API.md)
    without counting every row for every page (issue 13): the page is read with one row more to
    know whether there is a next; `count` is exact when the rows end on this page or number at most
    `exact_up_to` (a count of at most that many rows), and otherwise PostgreSQL's planner estimate
    (EXPLAIN, no scan), never below what is known to exist; the response then carries
    `X-Count-Estimated: true`. On SQLite (small by nature) the count is always exact."""

    exact_up_to = 1000

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        raw = request.query_params.get(self.page_query_param, "1")
        try:
            self.number = int(raw)
        except ValueError:
            raise NotFound("Invalid page.") from None
        if self.number < 1:
            raise NotFound("Invalid page.")
        offset = (self.number - 1) * size
        rows = list(queryset[offset : offset + size + 1])
        self.more = len(rows) > size
        rows = rows[:size]
        if self.number > 1 and not rows:
            raise NotFound("Invalid page.")
        self.estimated = False
        self.count = (
            offset + len(rows) if not self.more else self._count(queryset, offset + size + 1)
        )
        return rows

    def _count(self, queryset, at_least: int) -> int:
        keys = queryset.order_by().values("pk")
        bounded = keys[: self.exact_up_to + 1].count()
        if bounded <= self.exact_up_to or connections[queryset.db].vendor != "postgresql":
            return bounded if bounded <= self.exact_up_to else keys.count()
        plan = json.loads(keys.explain(format="json"))
        self.estimated = True
        return max(int(plan[0]["Plan"]["Plan Rows"]), at_least, self.exact_up_to + 1)

    def get_paginated_response(self, data):
        response = Response(
            {
                "count": self.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )
        if self.estimated:
            response["X-Count-Estimated"] = "true"
        return response

    def get_next_link(self):
        if not self.more:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.page_query_param, self.number + 1)

    def get_previous_link(self):
        if self.number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)


class CSVRenderer(BaseRenderer):
    """Lets CSV downloads answer `Accept: text/csv` (the views stream the CSV themselves; this
    renderer only renders an error's detail as plain text)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | str):
            return data
        return "\n".join(f"{key}: {value}" for key, value in (data or {}).items())


CSV_DOWNLOAD_RENDERERS = [JSONRenderer, CSVRenderer]


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """The one place a service's refusal becomes HTTP (STYLE 19, API.md "Status codes"): a
    domain error (`core.errors`) answers its status with its body (400 `{field: [messages]}`, 403,
    404, 409 `{"detail": ...}`); a model's ValidationError is a 400 and an IntegrityError a 409.
    Everything else (DRF's own errors, Django's PermissionDenied and Http404) as DRF does."""
    error = as_domain_error(exc)
    if error is None:
        return drf_exception_handler(exc, context)
    set_rollback()
    return Response(error.body(), status=error.status_code)
