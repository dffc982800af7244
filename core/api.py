"""Shared API pieces."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer


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
