"""What the CSV import commands share: open the file, turn a rejected import into a one-line error."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from django.core.management.base import CommandError, OutputWrapper

from core.csvio import ImportRejected

T = TypeVar("T")


def run_import(path: str, importer: Callable[..., T], stderr: OutputWrapper, **kwargs) -> T:
    """Call `importer(source=<the open file>, **kwargs)` and return its result.

    Every row error is written to `stderr` first; then CommandError carries the one-line summary, so
    the command exits non-zero (API.md) and the importer's transaction has saved nothing.
    """
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"no such file: {path}")
    try:
        with file.open("rb") as source:
            return importer(source=source, **kwargs)
    except ImportRejected as rejected:
        for error in rejected.errors:
            stderr.write(str(error))
        raise CommandError(rejected.summary()) from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not a UTF-8 CSV file; nothing imported") from None
    except csv.Error as error:
        raise CommandError(
            f"{path} is not a readable CSV file ({error}); nothing imported"
        ) from None
