"""Reading a KPI return's visit file (K5) as a stream: CSV or XLSX, one row at a time.

Rows are tallied as they are read and never kept, so a 500,000-row quarter needs no more memory
than a few rows. Every bad row is counted; the first `KPI_RETURN_MAX_LISTED_ERRORS` are listed.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import IO

from django.conf import settings

from core.csvio import ImportRejected, RowError, text_stream
from core.errors import DomainError
from core.uploads import at_most, check_size, check_xlsx

from .quarters import LONDON, Quarter

COLUMNS = (
    "visit_ref",
    "service_user_ref",
    "planned_start",
    "planned_minutes",
    "actual_start",
    "actual_end",
)
XLSX_MAGIC = b"PK\x03\x04"
PROGRESS_EVERY = 5000  # rows between two progress reports of a file read by the worker


class ReturnRejected(ImportRejected, DomainError):
    """The file was refused whole. `errors` holds the listed errors; `error_count` and `bad_rows`
    count every one, listed or not. The API answers 400 with `body()`, API.md's shape."""

    status_code = 400

    def __init__(self, errors: list[RowError], *, error_count: int, bad_rows: int):
        self.error_count = error_count
        self.bad_rows = bad_rows
        super().__init__(errors)

    def rows(self) -> list[dict]:
        """API.md's shape: [{"row": n, "errors": [{"column", "message"}]}], row 0 the header."""
        grouped: dict[int, list[dict]] = {}
        for error in self.errors:
            grouped.setdefault(error.row, []).append(
                {"column": error.column, "message": error.message}
            )
        return [{"row": row, "errors": errs} for row, errs in grouped.items()]

    def body(self) -> dict:
        # Not `{field: [messages]}`: the row numbers stay numbers, and the counts come too.
        return {
            "rows": self.rows(),
            "error_count": self.error_count,
            "bad_rows": self.bad_rows,
            "detail": self.summary(),
        }


@dataclass
class VisitTally:
    """The K5 figures, added up row by row."""

    visits: int = 0
    delivered: int = 0
    missed: int = 0
    late_starts: int = 0
    length_compliant: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    bad_rows: int = 0

    @property
    def length_compliance(self) -> float | None:
        return self.length_compliant / self.delivered if self.delivered else None


def _is_xlsx(source: IO, name: str) -> bool:
    if name.lower().endswith(".xlsx"):
        return True
    if hasattr(source, "seek") and not isinstance(source, io.TextIOBase):
        head = source.read(4)
        source.seek(0)
        return head == XLSX_MAGIC
    return False


def _check_header(header: list[str]) -> None:
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        error = RowError(
            0, "", f"missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}"
        )
        raise ReturnRejected([error], error_count=1, bad_rows=0)


NOT_A_CSV = "the file must be a UTF-8 CSV or an XLSX workbook"


def _unreadable(row: int, detail: str = "") -> ReturnRejected:
    message = f"{NOT_A_CSV} ({detail})" if detail else NOT_A_CSV
    return ReturnRejected([RowError(row, "", message)], error_count=1, bad_rows=1 if row else 0)


def _csv_rows(source: IO) -> Iterator[tuple[int, tuple]]:
    """The CSV's rows. A file that is not UTF-8 text, or not CSV, is refused whole (K5) rather
    than failing half-way: a decoding error cannot be pinned to a row, since the text is decoded
    in blocks, so it is reported against the file (row 0); a CSV syntax error names its row."""
    reader = csv.reader(text_stream(source))
    number = -1  # the header is row 0
    try:
        header = [h.strip().lstrip("\ufeff").lower() for h in next(reader, [])]
        number = 0
        _check_header(header)
        pick = operator.itemgetter(*(header.index(c) for c in COLUMNS))
        for number, raw in enumerate(reader, start=1):  # noqa: B007 - read in the handlers
            try:
                row = pick(raw)
            except IndexError:  # a short row: the missing cells are blank
                row = tuple(
                    raw[header.index(c)] if header.index(c) < len(raw) else "" for c in COLUMNS
                )
            # Cells as written (not stripped): the fast path takes only plain ones, the careful
            # path strips. A row is blank when every cell is, even those of other columns.
            if not row[2].strip() and not any(v.strip() for v in raw):
                continue
            yield number, row
    except UnicodeDecodeError as exc:
        raise _unreadable(0) from exc
    except csv.Error as exc:
        raise _unreadable(number + 1, str(exc)[:80]) from exc


def _xlsx_rows(source: IO) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is a bad file
        raise ReturnRejected(
            [RowError(0, "", f"not a readable XLSX workbook ({exc.__class__.__name__})")],
            error_count=1,
            bad_rows=0,
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        # Read-only mode trusts the sheet's <dimension> tag, which other tools write wrongly
        # (or not at all): without this, rows past the stated range are silently dropped.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header = [str(h or "").strip().lower() for h in next(rows, ())]
        _check_header(header)
        index = [header.index(c) for c in COLUMNS]
        for number, raw in enumerate(rows, start=1):
            if not any(v not in (None, "") for v in raw):
                continue
            # A list, not a tuple: cells of any type (datetimes, numbers), read carefully.
            yield number, [raw[i] if i < len(raw) else None for i in index]
    finally:
        workbook.close()


def _as_return_rejected(exc: ImportRejected) -> ReturnRejected:
    if isinstance(exc, ReturnRejected):
        return exc
    return ReturnRejected(exc.errors, error_count=len(exc.errors), bad_rows=0)


def check_return_file(source: IO, name: str = "") -> None:
    """Refuse (ReturnRejected) a visit file over the upload limits before reading any of it:
    KPI_RETURN_MAX_BYTES, and for a workbook the unpacked sizes, compression and the rows and
    columns its sheets claim (core.uploads)."""
    try:
        check_size(source, settings.KPI_RETURN_MAX_BYTES)
        if _is_xlsx(source, name):
            check_xlsx(source, max_rows=settings.KPI_RETURN_MAX_ROWS)
    except ImportRejected as exc:
        raise _as_return_rejected(exc) from None


def visit_rows(source: IO, name: str = "") -> Iterator[tuple[int, tuple | list]]:
    """(row number, the values in COLUMNS order) for each data row; row 1 is the first data row
    (a CSV row a tuple of its text, an XLSX row a list of cells of any type). The file is
    checked against the upload limits first, and refused at the first row past
    KPI_RETURN_MAX_ROWS (a sheet may claim fewer rows than it has)."""
    check_return_file(source, name)
    rows = _xlsx_rows(source) if _is_xlsx(source, name) else _csv_rows(source)
    try:
        yield from at_most(rows, settings.KPI_RETURN_MAX_ROWS)
    except ReturnRejected:
        raise
    except ImportRejected as exc:
        raise _as_return_rejected(exc) from None


# dd/mm/yyyy hh:mm[:ss], as provider systems export them (K5). Loose on purpose (any digits, any
# year length) so that a near miss gets a reason of its own rather than a generic refusal.
UK_SLASHED = re.compile(r"^(\d{1,4})/(\d{1,4})/(\d+)(?:\s+(.*))?$")
UK_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
EXAMPLES = "an ISO 8601 date-time such as 2026-04-01T09:30 or a UK one such as 01/04/2026 09:30"


def _uk_moment(text: str) -> datetime:
    """A naive datetime from `dd/mm/yyyy hh:mm` or `dd/mm/yyyy hh:mm:ss`; ValueError saying why
    a value is refused (a 2-digit year, no time, a month-first date, an impossible date)."""
    shown = text[:40]
    match = UK_SLASHED.match(text)
    if not match or len(match.group(1)) > 2 or len(match.group(2)) > 2:
        raise ValueError(f"'{shown}' is not {EXAMPLES}")
    day, month, year, clock = match.groups()
    if len(year) != 4:
        raise ValueError(
            f"'{shown}' has a {len(year)}-digit year: give the year in full, such as 31/07/2026 08:05"
        )
    if clock is None:
        raise ValueError(f"'{shown}' has no time: give dd/mm/yyyy hh:mm, such as 31/07/2026 08:05")
    if int(month) > 12 and int(day) <= 12:
        raise ValueError(
            f"'{shown}' is not a real date: dates are day/month/year (dd/mm/yyyy), "
            f"so {month} cannot be the month"
        )
    time_match = UK_CLOCK.match(clock.strip())
    if not time_match:
        raise ValueError(f"'{shown}' is not {EXAMPLES}")
    hour, minute, second = time_match.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        raise ValueError(f"'{shown}' is not a real date and time (dd/mm/yyyy hh:mm)") from None


def _iso_moment(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or len(text) <= 10:  # a date alone is not a moment
        raise ValueError(f"'{text[:40]}' is not {EXAMPLES}")
    return parsed


@functools.lru_cache(maxsize=1024)
def _clocks_change_near(day: date) -> bool:
    """Whether London's offset changes between noon the day before and noon the day after: a
    cheap test, cached per day, so that a 500,000-row file checks the clocks on few rows."""
    before = datetime.combine(day - timedelta(days=1), time(12), tzinfo=LONDON)
    after = datetime.combine(day + timedelta(days=1), time(12), tzinfo=LONDON)
    return before.utcoffset() != after.utcoffset()


def _london(naive: datetime, shown: str) -> datetime:
    """Europe/London local time (K5), refusing the hour the clocks skip and the hour they repeat
    rather than guessing: either would move a visit by an hour."""
    first = naive.replace(tzinfo=LONDON)
    if not _clocks_change_near(naive.date()):  # the fast path: all but two days a year
        return first
    if first.utcoffset() == naive.replace(tzinfo=LONDON, fold=1).utcoffset():
        return first
    if first.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != naive:
        raise ValueError(f"'{shown}' does not exist in London: the clocks go forward past it")
    iso = naive.isoformat(timespec="minutes" if not naive.second else "seconds")
    raise ValueError(
        f"'{shown}' happens twice in London as the clocks go back; give it with its offset, "
        f"such as {iso}+01:00 (before the change) or {iso}+00:00 (after)"
    )


def _moment(value) -> datetime | None:
    """An aware UTC datetime, None for a blank; ValueError saying why for anything else.

    Text is ISO 8601 or `dd/mm/yyyy hh:mm[:ss]`; an XLSX cell may be a real datetime. A time with
    no offset is Europe/London local time (K5)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed, shown = value, value.isoformat(sep=" ")
    else:
        shown = str(value).strip()
        if not shown:
            return None
        parsed = _uk_moment(shown) if "/" in shown else _iso_moment(shown)
    if parsed.tzinfo is None:
        parsed = _london(parsed, shown[:40])
    # In UTC, so that lengths across a clock change are real minutes.
    return parsed.astimezone(UTC)


def _minutes(value) -> int:
    if value is None or str(value).strip() == "":
        raise ValueError("the planned length in minutes is missing")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"'{str(value)[:20]}' is not a number of minutes") from None
    if not math.isfinite(number):
        raise ValueError(f"'{str(value)[:20]}' is not a number of minutes")
    if number <= 0 or number != int(number):
        raise ValueError("give the planned length as a whole number of minutes above 0")
    return int(number)


def _check_row(
    number: int, row: tuple | list, quarter: Quarter, bounds: tuple
) -> tuple[list, tuple]:
    """Every problem with one row, and its (planned, minutes, start, end) as aware datetimes and
    whole minutes. The careful path, for the rows `_fast_row` does not take."""
    errors: list[RowError] = []
    values: dict = {}
    visit_ref, _, *_ = row
    if not str(visit_ref or "").strip():
        errors.append(RowError(number, "visit_ref", "the visit reference is missing"))
    for column, value in (
        ("planned_start", row[2]),
        ("actual_start", row[4]),
        ("actual_end", row[5]),
    ):
        try:
            values[column] = _moment(value)
        except ValueError as exc:
            errors.append(RowError(number, column, str(exc)))
            values[column] = False  # present but bad
    try:
        values["planned_minutes"] = _minutes(row[3])
    except ValueError as exc:
        errors.append(RowError(number, "planned_minutes", str(exc)))
    planned, start, end = values["planned_start"], values["actual_start"], values["actual_end"]
    if planned is None:
        errors.append(RowError(number, "planned_start", "the planned start is missing"))
    elif planned and not (bounds[0] <= planned < bounds[1]):
        errors.append(
            RowError(
                number,
                "planned_start",
                f"the visit is outside the quarter {quarter} ({quarter.label()})",
            )
        )
    # K5: a visit with neither actual time is missed, otherwise delivered; one time alone is
    # not a bad file (only an end before the start is).
    if start and end and end < start:
        errors.append(RowError(number, "actual_end", "the visit ends before it starts"))
    return errors, (planned, values.get("planned_minutes"), start, end)


# --- The fast path (issue 13): a plain row read without building a datetime per value ----------

_EPOCH = datetime(1970, 1, 1)


class _Careful(Exception):  # noqa: N818 - not an error: "take the careful path"
    """This row is not plain: `_check_row` reads it (and says what is wrong, if anything)."""


_OFFSETS: dict[str, float | None] = {}


def _day_offset(day_text: str) -> float | None:
    """London's UTC offset in seconds all through the day `day_text` (YYYY-MM-DD), or None for a
    day near a clock change (or not a date): those take the careful path. Kept per day."""
    if day_text in _OFFSETS:
        return _OFFSETS[day_text]
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        offset = None
    else:
        noon = datetime.combine(day, time(12), tzinfo=LONDON)
        offset = None if _clocks_change_near(day) else noon.utcoffset().total_seconds()
    if len(_OFFSETS) > 4096:
        _OFFSETS.clear()
    _OFFSETS[day_text] = offset
    return offset


def _seconds(text: str) -> float:
    """Seconds since the epoch (UTC) of an ISO 8601 moment, as `_moment` reads it; _Careful for
    anything else (a UK date, a date alone, a day near a clock change, a bad value, spaces)."""
    if len(text) <= 10 or "/" in text:
        raise _Careful
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _Careful from None
    if parsed.tzinfo is not None:
        return parsed.timestamp()
    offset = _OFFSETS.get(text[:10], False)
    if offset is False:
        offset = _day_offset(text[:10])
    if offset is None:
        raise _Careful
    return (parsed - _EPOCH).total_seconds() - offset


def _stamp(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def tally_visits(
    rows: Iterator[tuple[int, tuple | list]],
    *,
    quarter: Quarter,
    late_start_minutes: int,
    travel_allowance_minutes: int,
    progress: Callable[[int], None] | None = None,
) -> VisitTally:
    """Add up K5's figures; raise ReturnRejected listing bad rows if any row is bad. `progress`
    (if given) is told the rows read so far every PROGRESS_EVERY rows."""
    tally = VisitTally()
    cap = settings.KPI_RETURN_MAX_LISTED_ERRORS
    late_after = late_start_minutes * 60
    allowance = travel_allowance_minutes * 60
    # The quarter's bounds once, not per row (issue 13).
    bounds = (quarter.start_at, quarter.end_at)
    first, last = bounds[0].timestamp(), bounds[1].timestamp()
    visits = delivered = missed = late_starts = compliant = 0
    seconds, careful_error = _seconds, (_Careful, ValueError)
    for number, row in rows:
        if progress and number % PROGRESS_EVERY == 0:
            progress(number)
        # The fast path: a CSV row (a tuple of text) of plain ISO 8601 times, read without
        # building more than one datetime per value; anything else (_Careful) takes the careful
        # path, which also says what is wrong with a bad row.
        try:
            if row.__class__ is not tuple:
                raise _Careful  # an XLSX row: cells of any type, read carefully
            visit_ref, _, planned, minutes, start, end = row
            if not minutes.isdigit() or not visit_ref.strip():
                raise _Careful
            minutes = int(minutes)
            planned = seconds(planned)
            start = seconds(start) if start else None
            end = seconds(end) if end else None
            if not minutes or not (first <= planned < last) or (start and end and end < start):
                raise _Careful
        except careful_error:
            errors, (planned, minutes, start, end) = _check_row(number, row, quarter, bounds)
            if errors:
                tally.bad_rows += 1
                tally.error_count += len(errors)
                tally.errors.extend(errors[: max(cap - len(tally.errors), 0)])
                continue
            planned, start, end = _stamp(planned), _stamp(start), _stamp(end)
        if tally.bad_rows:
            continue  # the file is refused anyway: just keep checking
        visits += 1
        if start is None and end is None:
            missed += 1
            continue
        delivered += 1
        # Late is judged from the start; with only the end known it cannot be shown late.
        if start is not None and start - planned > late_after:
            late_starts += 1
        # Compliant on length only when the length is known: both times given.
        if start is not None and end is not None and end - start >= minutes * 60 - allowance:
            compliant += 1
    tally.visits, tally.delivered, tally.missed = visits, delivered, missed
    tally.late_starts, tally.length_compliant = late_starts, compliant
    if tally.bad_rows:
        raise ReturnRejected(tally.errors, error_count=tally.error_count, bad_rows=tally.bad_rows)
    if not tally.visits:
        raise ReturnRejected([RowError(0, "", "the file has no visits")], error_count=1, bad_rows=0)
    return tally
