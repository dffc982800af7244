"""CSV in and out: reading uploads and files all-or-nothing (every bad row is reported, nothing is
saved), and `csv_response`, the one way a page or API view answers with a CSV download.

Every cell a CSV or XLSX export writes goes through `safe_cell` (csv_response and `csv_writer` do it
for you): a text cell a spreadsheet would run as a formula is written with a leading single quote
(OWASP's advice on CSV injection)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from django.http import HttpResponse, StreamingHttpResponse

# A spreadsheet treats a cell starting with one of these as a formula (or, for tab and carriage
# return, strips them and then may); OWASP's list.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A text cell that is only a plain decimal number (`-1.5`, `+3`) is read as that number and cannot
# run anything, so it keeps its sign: a negative figure stays a figure.
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value):
    """`value` as a spreadsheet may safely open it: text starting with `=`, `+`, `-`, `@`, tab or
    carriage return gets a leading `'` (shown as text, never run); numbers, dates and text that is a
    plain decimal number (`-1.5`) are returned unchanged, so numeric cells stay numeric."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def safe_row(row: Iterable) -> list:
    """A row with each cell through `safe_cell`."""
    return [safe_cell(v) for v in row]


class _SafeWriter:
    """csv.writer's writerow/writerows, each cell through `safe_cell`."""

    def __init__(self, target, **kwargs):
        self._writer = csv.writer(target, **kwargs)

    def writerow(self, row: Iterable):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self._writer.writerow(safe_row(row))


def csv_writer(target, **kwargs) -> _SafeWriter:
    """`csv.writer(target, **kwargs)` that neutralises formulas: the one CSV writer of an export
    that does not answer a request (management commands); pages and API use `csv_response`."""
    return _SafeWriter(target, **kwargs)


@dataclass(frozen=True)
class RowError:
    row: int  # 1 is the first data row, as API.md says
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "header"
        return (
            f"{where} ({self.column}): {self.message}"
            if self.column
            else f"{where}: {self.message}"
        )

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class ImportRejected(Exception):
    """The whole input was refused; `errors` lists every problem found."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(self.summary())

    def summary(self, limit: int = 5) -> str:
        """One line: how many problems and the first few of them."""
        rows = {e.row for e in self.errors}
        shown = "; ".join(str(e) for e in self.errors[:limit])
        more = f"; and {len(self.errors) - limit} more" if len(self.errors) > limit else ""
        noun = "problem" if len(self.errors) == 1 else "problems"
        return f"{len(self.errors)} {noun} in {len(rows)} row(s), nothing imported: {shown}{more}"


def text_stream(source: IO) -> IO[str]:
    """A text stream over an uploaded or opened file, binary or text, with any BOM removed."""
    if isinstance(source, io.TextIOBase):
        return source
    return io.TextIOWrapper(source, encoding="utf-8-sig", newline="")


NUL_IN_CELL = "contains a NUL character: the file is not a plain-text CSV"


def read_rows(
    source: IO, *, required: Iterable[str], optional: Iterable[str] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, row) with values stripped; raise ImportRejected for a bad header or a NUL
    character (which no text column may hold, and PostgreSQL refuses). A file that is not UTF-8
    raises UnicodeDecodeError and one that is not CSV csv.Error, for the caller to word. Bounds
    (size, rows) are the caller's: `core.uploads.bounded_csv_rows`."""
    required = list(required)
    reader = csv.DictReader(text_stream(source))
    header = [(h or "").strip().lstrip("\ufeff") for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        expected = ",".join(required)
        raise ImportRejected(
            [RowError(0, "", f"missing column(s) {', '.join(missing)}; expected {expected}")]
        )
    if any("\x00" in h for h in header):
        raise ImportRejected([RowError(0, "", NUL_IN_CELL)])
    reader.fieldnames = header
    known = set(required) | set(optional)
    for number, raw in enumerate(reader, start=1):
        row = {k: (raw.get(k) or "").strip() for k in known}
        if not any(row.values()):
            continue  # blank line
        nul = [k for k in sorted(known) if "\x00" in row[k]]
        if nul:
            raise ImportRejected([RowError(number, nul[0], NUL_IN_CELL)])
        yield number, row


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_response(
    filename: str,
    rows: Iterable[Iterable],
    *,
    header: Iterable[str] | None = None,
    stream: bool = False,
) -> HttpResponse | StreamingHttpResponse:
    """A CSV download named `filename`: `header` (when given) then `rows`.

    With `stream`, rows are written as the client reads them (long histories never sit in
    memory); the streamed type stays plain `text/csv`, as it always has been for the history.
    Every cell goes through `safe_cell`."""
    if stream:
        writer = csv_writer(_Echo())
        lines = (writer.writerow(r) for r in _with_header(header, rows))
        response = StreamingHttpResponse(lines, content_type="text/csv")
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        csv_writer(response).writerows(_with_header(header, rows))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _with_header(header: Iterable[str] | None, rows: Iterable[Iterable]) -> Iterator[Iterable]:
    if header is not None:
        yield header
    yield from rows
