"""Read any input file a contact centre exports, robustly and in bounded memory.

``open_source(path)`` recognises the format (CSV/TSV, XLSX, JSON, JSON Lines, Parquet) from the
extension and checks it against the content, detects the text encoding (BOM, else strict UTF-8,
else strict GB18030) and reads the header; ``SourceFile.chunks()`` then streams the data rows.

Text formats (CSV, JSON, JSON Lines)
    Encoding: a BOM (utf-8-sig, utf-16-le/be, utf-32) wins, else the whole file is checked as
    strict UTF-8, else as strict GB18030 (a superset of GBK); if neither fits, IngestError names
    the first undecodable byte (0-based byte offset and 1-based line). An explicit ``encoding`` is
    checked the same way. The check streams the file once before any row is read; the rows are
    then parsed from a second stream (UTF-8 directly, other encodings transcoded to UTF-8).
    CSV: delimiter sniffed from the header line (comma, tab, semicolon, '|'; an Excel ``sep=;``
    first line is honoured); leading blank lines are skipped. JSON: the columns are the keys of
    the first 1,000 records (see :mod:`csqm.ingest.formats.json_format`).

Columns
    Header names have BOMs and surrounding whitespace removed; a blank or repeated name is an
    IngestError naming the column(s).

Value conventions
    CSV, XLSX, JSON and JSON Lines: every column has ``object`` dtype and every value is a Python
    ``str`` or ``None`` (an empty cell is ``None``); nothing is converted, so leading zeros survive.
    Parquet keeps its native types, except that text columns are ``object`` with ``None`` too and
    integer/boolean columns are pandas nullable dtypes (missing is ``pd.NA``).

Rows
    ``Chunk.row_numbers`` are 1-based data row numbers (row 1 is the first row after the header):
    CSV record number (a quoted multi-line value is one row; blank lines are not rows), XLSX sheet
    row minus header row, JSON position in the array, JSON Lines physical line number. Rows whose
    every cell is empty are skipped without renumbering the others. A row that cannot be parsed
    becomes a :class:`RowProblem` (``SourceFile.problems``) and keeps its number.

Errors
    A file that cannot be read at all raises :class:`csqm.errors.IngestError` with one sentence
    naming the file: from ``open_source``, or from ``chunks()`` for damage found only while
    streaming (e.g. a value longer than 1 GB in CSV, a broken XLSX/Parquet part, a second array of
    records at the end of a JSON object). Messages and problems never contain cell values.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from csqm.errors import IngestError
from csqm.ingest.formats import encoding as encodings
from csqm.ingest.formats.base import Backend, Chunk, RowProblem
from csqm.ingest.formats.csv_format import CsvBackend
from csqm.ingest.formats.json_format import JsonBackend
from csqm.ingest.formats.parquet_format import ParquetBackend
from csqm.ingest.formats.sniff import (
    FORMAT_NAMES,
    KINDS,
    fits,
    is_blank,
    read_head,
    resolve_format,
    sniff,
)
from csqm.ingest.formats.xlsx_format import XlsxBackend

__all__ = ["Chunk", "RowProblem", "SourceFile", "open_source"]


class SourceFile:
    """An opened input file: its format, encoding and columns; rows come from :meth:`chunks`."""

    def __init__(self, path: Path, format: str, encoding: str | None, columns: list[str], backend: Backend) -> None:
        self.path = path
        self.format = format
        self.encoding = encoding
        self.columns = columns
        self.problems: list[RowProblem] = []
        self._backend = backend

    def __repr__(self) -> str:
        return f"SourceFile({str(self.path)!r}, format={self.format!r}, encoding={self.encoding!r})"

    def chunks(self, rows: int = 100_000) -> Iterator[Chunk]:
        """Stream the data rows in chunks of ``rows`` rows (the last may be shorter).

        ``problems`` is reset and then filled as rows are read; iterating again re-reads the file.
        """
        if rows < 1:
            raise ValueError("rows must be at least 1")
        self.problems = []
        try:
            yield from self._backend.iter_chunks(rows, self.problems)
        except UnicodeDecodeError:
            raise IngestError(
                f"{self.path} cannot be decoded as {self.encoding} while reading; did it change?"
            ) from None


def open_source(
    path: Path | str,
    *,
    format: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> SourceFile:
    """Open an input file: recognise its format and encoding and read its header.

    ``format`` ("csv", "xlsx", "json", "jsonl", "parquet") overrides the extension and the content
    check; ``encoding`` (any Python codec name) overrides detection for text formats; ``sheet``
    chooses an XLSX sheet by name (default: the first). Raises IngestError when the file cannot
    be read at all.
    """
    path = Path(path)
    head = _head(path)
    fmt = resolve_format(path, head, format)
    try:
        return _open(path, head, fmt, encoding, sheet)
    except IngestError as exc:
        if format is None:
            raise
        kind = sniff(path, head)
        if fits(fmt, kind, head):
            raise
        raise IngestError(
            f"{path} cannot be read as {FORMAT_NAMES[fmt]}: its content looks like {KINDS[kind].description}."
        ) from exc


def _head(path: Path) -> bytes:
    """The first bytes of a readable, non-empty regular file."""
    if not path.exists():
        raise IngestError(f"{path} does not exist.")
    if not path.is_file():
        raise IngestError(f"{path} is not a regular file.")
    if not os.access(path, os.R_OK):
        raise IngestError(f"{path} cannot be read: permission denied.")
    head = read_head(path)
    if is_blank(path, head):
        raise IngestError(f"{path} is empty.")
    return head


def _open(path: Path, head: bytes, fmt: str, encoding: str | None, sheet: str | None) -> SourceFile:
    """Open the backend of format ``fmt``."""
    if fmt == "xlsx":
        xlsx = XlsxBackend(path, sheet)
        return SourceFile(path, fmt, None, xlsx.columns, xlsx)
    if fmt == "parquet":
        parquet = ParquetBackend(path)
        return SourceFile(path, fmt, None, parquet.columns, parquet)
    text = encodings.resolve(path, head, encoding)
    if fmt == "csv":
        csv = CsvBackend(path, text)
        return SourceFile(path, fmt, text.name, csv.columns, csv)
    records = JsonBackend(path, text, lines=fmt == "jsonl")
    return SourceFile(path, fmt, text.name, records.columns, records)
