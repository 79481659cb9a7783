"""CSV (and TSV, semicolon or '|' separated) text, read in a stream with pyarrow.

The header is read here: quote-aware, after any leading blank lines, with the delimiter sniffed
from it unless an Excel ``sep=;`` line comes first. The body goes to ``pyarrow.csv.open_csv`` as
UTF-8 bytes (the file itself when it is UTF-8, else a transcoding stream) followed by an
end-of-file sentinel line (see :mod:`csv_rows`). Every column is read as text: ``str`` values,
``None`` for empty cells. A field longer than the block size makes pyarrow fail; the file is then
re-read with a larger block (rows already returned are not returned again), up to
:data:`MAX_BLOCK`.

Row numbers are *record* numbers: row 1 is the first record after the header, a quoted value
spanning several lines is still one row, and blank lines are neither rows nor counted. Rows with
the wrong number of fields, and a last row cut inside a quoted value, become :class:`RowProblem` s
and keep their number.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv

from csqm.errors import IngestError
from csqm.ingest.formats.base import Chunk, RowProblem, check_header
from csqm.ingest.formats.csv_rows import Numbering, Progress, SentinelStream
from csqm.ingest.formats.encoding import TextEncoding, Utf8Stream
from csqm.ingest.formats.sniff import sniff_delimiter
from csqm.ingest.formats.tables import Numbered, drop_empty_rows, rebatch, to_chunk

#: First pyarrow block size; grown (x8) when one field does not fit, up to MAX_BLOCK.
FIRST_BLOCK = 1 << 20
MAX_BLOCK = 1 << 30
#: A header longer than this is not believed to be a header.
MAX_HEADER = 16 << 20

_SEP_LINE = re.compile(r"sep=([,;\t|])\r?\n?")


def header_end(data: bytes, *, eof: bool) -> int | None:
    """Length of the first record (with its line break) in ``data``; None if more bytes are needed.

    Raises ValueError when ``eof`` and the record ends inside a quoted value.
    """
    quoted = False
    i = 0
    while True:
        if quoted:
            j = data.find(b'"', i)
            if j < 0:
                if eof:
                    raise ValueError("unterminated quote")
                return None
            quoted, i = False, j + 1
            continue
        j = _next_special(data, i)
        if j < 0:
            return len(data) if eof else None
        if data[j] == 0x22:  # '"'
            quoted, i = True, j + 1
        elif data[j] == 0x0A:
            return j + 1
        elif j + 1 < len(data):  # '\r', maybe '\r\n'
            return j + 2 if data[j + 1] == 0x0A else j + 1
        else:
            return j + 1 if eof else None


def _next_special(data: bytes, start: int) -> int:
    found = [p for p in (data.find(b'"', start), data.find(b"\n", start), data.find(b"\r", start)) if p >= 0]
    return min(found) if found else -1


def read_header(path: Path, read: Callable[[int], bytes], data: bytes = b"") -> tuple[bytes, bytes]:
    """(header record bytes, the bytes read after it) from ``data`` then a UTF-8 ``read`` function."""
    while True:
        more = read(64 << 10)
        data += more
        try:
            end = header_end(data, eof=not more)
        except ValueError:
            raise IngestError(f"{path} has an unterminated quote in its header line.") from None
        if end is not None:
            return data[:end], data[end:]
        if len(data) > MAX_HEADER:
            raise IngestError(f"{path} has no line break in its first 16 MB, so it has no readable header.")


def read_prologue(path: Path, read: Callable[[int], bytes]) -> tuple[int, bytes, str | None, bytes]:
    """(bytes of leading blank lines and "sep=" line, header record, the delimiter "sep=" declares,
    bytes read after the header)."""
    skipped, declared, rest = 0, None, b""
    while True:
        record, rest = read_header(path, read, rest)
        if not record:
            raise IngestError(f"{path} has no header line.")
        text = record.decode("utf-8")
        sep = _SEP_LINE.fullmatch(text) if declared is None else None
        if text.strip() and not sep:
            return skipped, record, declared, rest
        skipped += len(record)
        declared = sep.group(1) if sep else declared


def parse_header(path: Path, record: bytes, delimiter: str | None = None) -> tuple[list[str], str]:
    """(cleaned column names, delimiter) from the header record; the delimiter is sniffed if not given."""
    text = record.decode("utf-8").rstrip("\r\n")
    delimiter = delimiter or sniff_delimiter(text)
    names = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    return check_header(path, names), delimiter


class CsvBackend:
    """Streams the body of a CSV file as chunks of text columns."""

    def __init__(self, path: Path, encoding: TextEncoding) -> None:
        self.path = path
        self.encoding = encoding
        with self._utf8_stream() as stream:
            skipped, record, declared, rest = read_prologue(path, stream.read)
            first_data = (rest + stream.read(3))[:3]
        #: pyarrow drops a BOM at the start of its input: if the first value starts with U+FEFF,
        #: feed the header record too (as row 0, dropped) so that the value stays intact.
        self.lead = 1 if first_data == codecs.BOM_UTF8 else 0
        #: UTF-8 bytes skipped before pyarrow's input (blank lines, an Excel "sep=" line, the header).
        self.body_start = skipped + (0 if self.lead else len(record))
        self.columns, self.delimiter = parse_header(path, record, declared)

    def _utf8_stream(self) -> io.RawIOBase:
        if self.encoding.is_utf8:
            raw = self.path.open("rb", buffering=0)
            raw.seek(self.encoding.start)
            return raw
        return Utf8Stream(self.path, self.encoding)

    def _body(self) -> SentinelStream:
        """The UTF-8 text after the header (or from the header, see ``lead``), then the sentinel."""
        if self.encoding.is_utf8:
            raw: Any = self.path.open("rb")
            raw.seek(self.encoding.start + self.body_start)
        else:
            raw = Utf8Stream(self.path, self.encoding)
            raw.read(self.body_start)
        return SentinelStream(raw)

    def _reader(self, body: Any, block: int, handler: Callable[[Any], str]) -> pcsv.CSVStreamingReader | None:
        """An arrow streaming reader of the body, or None when the body is empty."""
        try:
            return pcsv.open_csv(
                body,
                read_options=pcsv.ReadOptions(column_names=self.columns, block_size=block, use_threads=False),
                parse_options=pcsv.ParseOptions(
                    delimiter=self.delimiter, newlines_in_values=True, invalid_row_handler=handler
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types={name: pa.string() for name in self.columns},
                    strings_can_be_null=True,
                    null_values=[""],
                    quoted_strings_can_be_null=True,
                ),
            )
        except pa.ArrowInvalid as exc:
            if "Empty CSV file" in str(exc):
                return None
            raise

    def iter_chunks(self, rows: int, problems: list[RowProblem]) -> Iterator[Chunk]:
        """Chunks of exactly ``rows`` rows (the last may be shorter), all-empty rows dropped."""
        batches = (drop_empty_rows(b, n) for b, n in self._numbered(problems))
        for table, numbers in rebatch(batches, rows):
            yield to_chunk(table, numbers)

    def _numbered(self, problems: list[RowProblem]) -> Iterator[Numbered]:
        """Batches with their row numbers; re-reads with a larger block when a field is too long."""
        progress = Progress(problems, len(self.columns), self.delimiter, self.lead)
        block = FIRST_BLOCK
        while True:
            numbering = Numbering(1 - self.lead)
            try:
                yield from self._one_pass(block, numbering, progress)
                return
            except pa.ArrowInvalid as exc:
                if "straddl" not in str(exc) or block >= MAX_BLOCK:
                    raise self._failure(exc, progress.done) from None
                block = min(block * 8, MAX_BLOCK)

    def _one_pass(self, block: int, numbering: Numbering, progress: Progress) -> Iterator[Numbered]:
        body = self._body()
        try:
            reader = self._reader(body, block, progress.handler(numbering))
            for batch in reader or ():
                numbers = numbering.assign(batch.num_rows)
                fresh = numbers > progress.done
                if not fresh.all():
                    batch, numbers = batch.filter(pa.array(fresh)), numbers[fresh]
                batch, numbers = progress.strip_sentinel(batch, numbers)
                if numbers.size:
                    progress.done = int(numbers[-1])
                    yield batch, numbers
        finally:
            body.close()

    def _failure(self, exc: pa.ArrowInvalid, done: int) -> IngestError:
        if "straddl" in str(exc):
            return IngestError(
                f"{self.path} has a value longer than {MAX_BLOCK >> 20} MB after data row {done} "
                "(an unterminated quote?); fix the file."
            )
        return IngestError(f"{self.path} could not be parsed as CSV after data row {done}; check the file.")
