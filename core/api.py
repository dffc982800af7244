"""Shared API pieces: pagination, the CSV renderer, and the one exception handler."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.errors import as_domain_error


class Pagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}`; `?page_size=` up to 500 (API.md)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


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
