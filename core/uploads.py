"""Bounds on uploaded files, checked before anything is parsed (issue 14.2).

A file is refused whole, with a sentence saying which limit it broke, when it is too big, has too
many rows, or is an XLSX workbook whose parts would unpack too large (a zip bomb). The XLSX checks
read only the zip's directory and the first few kilobytes of each sheet (its `<dimension>`): nothing
is decompressed in full before the file is accepted. Rows are also counted as they are read, so a
sheet whose dimension lies stops at the limit.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from typing import IO, TypeVar

from django.conf import settings

from .csvio import ImportRejected, RowError, read_rows

T = TypeVar("T")

# A worksheet's <dimension ref="A1:F500001"/> comes before its data, within the first kilobytes.
DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?\"")
HEAD_BYTES = 8192


def human_size(size: int) -> str:
    """'20 MB', '512 KB', '300 bytes' (decimal units, as file managers show them)."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:g} MB" if size % 100_000 == 0 else f"{size / 1_000_000:.1f} MB"
    if size >= 1_000:
        return f"{size // 1_000} KB"
    return f"{size} bytes"


def refused(message: str) -> ImportRejected:
    """The whole file refused for one reason (row 0: the file, not a row)."""
    return ImportRejected([RowError(0, "", message)])


def file_size(source: IO) -> int:
    """The upload's size in bytes (Django's `size`, else by seeking to the end)."""
    size = getattr(source, "size", None)
    if size is None:
        position = source.tell()
        size = source.seek(0, 2)
        source.seek(position)
    return size


def check_size(source: IO, limit: int) -> None:
    """Refuse a file over `limit` bytes."""
    size = file_size(source)
    if size > limit:
        raise refused(
            f"the file is {human_size(size)}; files of up to {human_size(limit)} are accepted"
        )


def _column_number(letters: bytes | None) -> int:
    number = 0
    for letter in letters or b"":
        number = number * 26 + letter - 64
    return number


def check_xlsx(source: IO, *, max_rows: int) -> None:
    """Refuse an XLSX workbook whose parts would unpack to more than XLSX_MAX_UNPACKED_BYTES in
    all (or its shared strings to more than XLSX_MAX_SHARED_STRINGS_BYTES), any part of over 1 MB
    compressed more than XLSX_MAX_RATIO times, or a sheet claiming more than `max_rows` data rows
    or XLSX_MAX_COLUMNS columns. Reads the zip's directory and each sheet's first kilobytes only;
    leaves `source` at its start."""
    max_unpacked = settings.XLSX_MAX_UNPACKED_BYTES
    max_ratio = settings.XLSX_MAX_RATIO
    max_columns = settings.XLSX_MAX_COLUMNS
    try:
        with zipfile.ZipFile(source) as workbook:
            infos = workbook.infolist()
            unpacked = sum(info.file_size for info in infos)
            if unpacked > max_unpacked:
                raise refused(
                    f"the workbook unpacks to {human_size(unpacked)}; workbooks of up to "
                    f"{human_size(max_unpacked)} unpacked are accepted (save it as CSV instead)"
                )
            strings = sum(i.file_size for i in infos if i.filename.endswith("sharedStrings.xml"))
            if strings > settings.XLSX_MAX_SHARED_STRINGS_BYTES:
                raise refused(
                    f"the workbook's text unpacks to {human_size(strings)}; up to "
                    f"{human_size(settings.XLSX_MAX_SHARED_STRINGS_BYTES)} is accepted "
                    "(save it as CSV instead)"
                )
            for info in infos:
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > 1_000_000 and ratio > max_ratio:
                    raise refused(
                        f"the workbook's part {info.filename} is compressed {ratio:.0f} times; "
                        f"more than {max_ratio} times is refused as a zip bomb"
                    )
            for info in infos:
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    _check_dimension(workbook, info, max_rows=max_rows, max_columns=max_columns)
    except zipfile.BadZipFile as exc:
        raise refused(f"not a readable XLSX workbook ({exc.__class__.__name__})") from exc
    finally:
        source.seek(0)


def _check_dimension(workbook, info, *, max_rows: int, max_columns: int) -> None:
    with workbook.open(info) as part:
        head = part.read(HEAD_BYTES)
    match = DIMENSION.search(head)
    if not match:
        return  # no dimension: the rows are counted as they are read
    first_col, first_row, last_col, last_row = match.groups()
    rows = int(last_row or first_row or 0)
    columns = _column_number(last_col or first_col)
    if rows - 1 > max_rows:
        raise refused(
            f"the sheet claims {rows - 1:,} rows; files of up to {max_rows:,} rows are accepted"
        )
    if columns > max_columns:
        raise refused(
            f"the sheet claims {columns:,} columns; files of up to {max_columns} columns are "
            "accepted"
        )


def at_most(rows: Iterator[tuple[int, T]], max_rows: int) -> Iterator[tuple[int, T]]:
    """`rows` (numbered data rows), refusing the file at the first row past `max_rows`."""
    for number, row in rows:
        if number > max_rows:
            raise refused(
                f"the file has more than {max_rows:,} rows; up to {max_rows:,} are accepted"
            )
        yield number, row


def bounded_csv_rows(
    source: IO, *, required: Iterable[str], optional: Iterable[str] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """`csvio.read_rows` within the import limits: refused whole when over IMPORT_CSV_MAX_BYTES
    (before reading) or at the first row past IMPORT_CSV_MAX_ROWS."""
    check_size(source, settings.IMPORT_CSV_MAX_BYTES)
    rows = read_rows(source, required=required, optional=optional)
    return at_most(rows, settings.IMPORT_CSV_MAX_ROWS)
