"""Excel workbooks (xlsx), streamed with openpyxl in read-only mode.

The header is the first non-empty row of the sheet (first sheet unless one is named); trailing
empty header cells are ignored. Row number = sheet row number minus the header's row number, so
blank rows keep their place in the numbering (they are skipped, not returned).

Cell values become text: integers (and whole floats) without ``.0``, other floats in shortest
round-trip form, datetimes ``YYYY-MM-DD HH:MM:SS`` (``.ffffff`` only when there are fractions of a
second), dates ``YYYY-MM-DD``, times ``HH:MM:SS``, durations ``H:MM:SS``, booleans
``true``/``false``, empty cells None.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from csqm.errors import IngestError
from csqm.ingest.formats.base import WHOLE_ROW, Chunk, RowBuffer, RowProblem, check_header

#: What openpyxl raises on a damaged workbook (XML parse errors are SyntaxErrors).
_BROKEN = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    ValueError,
    TypeError,
    OSError,
    EOFError,
    SyntaxError,
)


def cell_text(value: object) -> str | None:
    """One cell value as text (see the module docstring), None when empty."""
    if value is None or isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        return f"{text}.{value.microsecond:06d}" if value.microsecond else text
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(value)


class XlsxBackend:
    """Streams one sheet of a workbook as chunks of text columns."""

    def __init__(self, path: Path, sheet: str | None) -> None:
        self.path = path
        self.sheet = sheet
        with self._rows() as rows:
            header = next(((n, r) for n, r in enumerate(rows, start=1) if _filled(r)), None)
        if header is None:
            raise IngestError(f"{self._where()} is empty: it has no header row.")
        self.header_row = header[0]
        cells = list(header[1])
        while cells and cell_text(cells[-1]) is None:
            cells.pop()
        self.columns = check_header(path, [cell_text(c) for c in cells], "header row")

    def _where(self) -> str:
        return f"Sheet {self.sheet!r} of {self.path}" if self.sheet else str(self.path)

    @contextmanager
    def _rows(self, first: int = 1) -> Iterator[Iterator[tuple[Any, ...]]]:
        """The sheet's rows from row ``first`` on, as tuples of values."""
        with self.path.open("rb") as raw:
            try:
                book = load_workbook(raw, read_only=True, data_only=True)
            except _BROKEN:
                raise IngestError(f"{self.path} cannot be read as an Excel (xlsx) workbook: it is damaged.") from None
            try:
                sheet = self._pick(book)
                sheet.reset_dimensions()
                yield self._guarded(sheet.iter_rows(min_row=first, values_only=True))
            finally:
                book.close()

    def _pick(self, book: Any) -> Any:
        if self.sheet is None:
            if not book.worksheets:
                raise IngestError(f"{self.path} has no worksheets.")
            return book.worksheets[0]
        if self.sheet not in book.sheetnames:
            names = ", ".join(repr(n) for n in book.sheetnames)
            raise IngestError(f"{self.path} has no sheet named {self.sheet!r}; its sheets are {names}.")
        return book[self.sheet]

    def _guarded(self, rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        try:
            yield from rows
        except _BROKEN:
            raise IngestError(f"{self.path} cannot be read to the end: the workbook is damaged.") from None

    def iter_chunks(self, rows: int, problems: list[RowProblem]) -> Iterator[Chunk]:
        """Chunks of exactly ``rows`` rows (the last may be shorter), empty rows skipped."""
        width = len(self.columns)
        buffer = RowBuffer(self.columns)
        with self._rows(self.header_row + 1) as sheet_rows:
            for number, cells in enumerate(sheet_rows, start=1):
                values = [cell_text(c) for c in cells]
                extra = next((i for i in range(width, len(values)) if values[i] is not None), None)
                if extra is not None:
                    reason = f"row has a value in column {extra + 1}, but the header names only {width} columns"
                    problems.append(RowProblem(number, WHOLE_ROW, reason))
                    continue
                values = (values + [None] * width)[:width]
                if any(v is not None for v in values):
                    buffer.add(values, number)
                    if len(buffer) >= rows:
                        yield buffer.take()
        if len(buffer):
            yield buffer.take()


def _filled(row: tuple[Any, ...]) -> bool:
    return any(cell_text(c) is not None for c in row)
