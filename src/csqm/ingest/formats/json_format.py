"""JSON (an array of records, or an object holding one) and JSON Lines, both streamed.

Values arrive as text: numbers keep their literal spelling (``1.50`` stays ``"1.50"``), booleans
become ``"true"``/``"false"``, nested arrays/objects their compact JSON text, null and ``""``
become None. The columns are the keys of the first :data:`PROBE_RECORDS` records in order of first
appearance; a later record with another key is a :class:`RowProblem`.

Row numbers: for JSON the 1-based position of the record in its array; for JSON Lines the physical
line number (blank lines are skipped but counted).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import TextIO

from csqm.errors import IngestError
from csqm.ingest.formats.base import WHOLE_ROW, Chunk, RowBuffer, RowProblem, check_header, clean_name
from csqm.ingest.formats.encoding import TextEncoding, open_text

PROBE_RECORDS = 1000
#: Longest single JSON value (characters) held in memory while streaming an array.
MAX_VALUE = 256 << 20
_READ = 1 << 20
_END = object()
_NOT_SPACE = re.compile(r"[^ \t\r\n\ufeff]")


class Number(str):
    """A JSON number, kept as its literal text."""


_DECODER = json.JSONDecoder(parse_float=Number, parse_int=Number, parse_constant=Number, strict=False)


def compact(value: object) -> str:
    """A nested JSON value as compact JSON text (numbers as written in the file)."""
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, dict):
        members = (f"{json.dumps(k, ensure_ascii=False)}:{compact(v)}" for k, v in value.items())
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(compact(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def as_text(value: object) -> str | None:
    """One JSON value as a cell: ``str`` or None."""
    if value is None:
        return None
    if isinstance(value, str):
        return str(value) or None
    if isinstance(value, bool):
        return "true" if value else "false"
    return compact(value)


class Cursor:
    """A sliding window of decoded text for incremental ``raw_decode``, tracking line and column."""

    def __init__(self, path: Path, stream: TextIO) -> None:
        self.path = path
        self.stream = stream
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.line = 1  # line and column of buf[0]
        self.column = 1

    def more(self) -> bool:
        """Read more text (dropping what was consumed); False at end of file."""
        consumed = self.buf[: self.pos]
        newlines = consumed.count("\n")
        self.column = len(consumed) - consumed.rfind("\n") if newlines else self.column + len(consumed)
        self.line += newlines
        self.buf, self.pos = self.buf[self.pos :], 0
        if len(self.buf) > MAX_VALUE:
            raise self.error(0, f"a value is longer than {MAX_VALUE >> 20} MB (unterminated string?)")
        data = self.stream.read(max(_READ, len(self.buf)))
        self.buf += data
        self.eof = not data
        return bool(data)

    def peek(self) -> str | None:
        """The next character that is not whitespace (not consumed); None at end of file."""
        while True:
            found = _NOT_SPACE.search(self.buf, self.pos)
            if found:
                self.pos = found.start()
                return self.buf[self.pos]
            self.pos = len(self.buf)
            if not self.more():
                return None

    def take(self, expected: str, context: str) -> None:
        """Consume the character ``expected`` (after whitespace) or fail."""
        if self.peek() != expected:
            raise self.error(self.pos, f"expected {expected!r} {context}")
        self.pos += 1

    def value(self) -> object:
        """Decode the next JSON value."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                near_end = exc.pos >= len(self.buf) - 32 or exc.msg.startswith("Unterminated string")
                if not self.eof and near_end:
                    self.more()
                    continue
                raise self.error(exc.pos, exc.msg.removesuffix(" at")) from None
            if end >= len(self.buf) and not self.eof and self.more():
                continue  # a number may go on in the next block
            self.pos = end
            return value

    def error(self, index: int, message: str) -> IngestError:
        """IngestError locating ``buf[index]`` by line and column."""
        before = self.buf[:index]
        newlines = before.count("\n")
        column = index - before.rfind("\n") if newlines else self.column + index
        return IngestError(f"{self.path} is not valid JSON: {message} at line {self.line + newlines}, column {column}.")


def _array(cursor: Cursor) -> Iterator[object]:
    """The elements of the array that starts at the cursor."""
    cursor.take("[", "at the start of an array")
    if cursor.peek() == "]":
        cursor.pos += 1
        return
    while True:
        yield cursor.value()
        if cursor.peek() == "]":
            cursor.pos += 1
            return
        cursor.take(",", "or ']' between array elements")


def _member_key(cursor: Cursor) -> str:
    """The key of the next object member, consuming the ':' after it."""
    if cursor.peek() != '"':
        raise cursor.error(cursor.pos, "expected a quoted key")
    key = str(cursor.value())
    cursor.take(":", "after an object key")
    return key


def _records_in_object(cursor: Cursor) -> Iterator[object]:
    """The elements of the one member of a top-level object that is an array of records."""
    cursor.take("{", "at the start of an object")
    found: str | None = None
    empty_array = False
    first_member = True
    while cursor.peek() != "}":
        if not first_member:
            cursor.take(",", "or '}' between object members")
        first_member = False
        key = _member_key(cursor)
        if cursor.peek() != "[":
            cursor.value()
            continue
        elements = _array(cursor)
        first = next(elements, _END)
        if isinstance(first, dict):
            if found is not None:
                raise IngestError(f"{cursor.path} has more than one array of records ({found!r} and {key!r}).")
            found = key
            yield first
            yield from elements
        else:
            empty_array = empty_array or first is _END
            for _ in elements:
                pass
    cursor.pos += 1
    if found is None and not empty_array:
        raise IngestError(f"{cursor.path} is a JSON object without an array of records.")


def records(path: Path, stream: TextIO) -> Iterator[object]:
    """The records of a JSON file (array elements, or the elements of its one array of records)."""
    cursor = Cursor(path, stream)
    start = cursor.peek()
    if start == "[":
        yield from _array(cursor)
    elif start == "{":
        yield from _records_in_object(cursor)
    else:
        raise cursor.error(cursor.pos, "expected an array or an object of records")
    if cursor.peek() is not None:
        raise cursor.error(cursor.pos, "extra content after the records")


def _jsonl_records(path: Path, stream: TextIO, problems: list[RowProblem] | None) -> Iterator[tuple[int, object]]:
    """(line number, record) of each non-blank line; an invalid line becomes a problem."""
    for number, line in enumerate(stream, start=1):
        text = line.strip(" \t\r\n\ufeff")
        if not text:
            continue
        try:
            yield number, _DECODER.decode(text)
        except json.JSONDecodeError as exc:
            if problems is not None:
                indent = len(line) - len(line.lstrip(" \t\ufeff"))
                reason = f"line is not valid JSON: {exc.msg} at column {exc.colno + indent}"
                problems.append(RowProblem(number, WHOLE_ROW, reason))


class JsonBackend:
    """Streams JSON or JSON Lines records as chunks of text columns."""

    def __init__(self, path: Path, encoding: TextEncoding, *, lines: bool) -> None:
        self.path = path
        self.encoding = encoding
        self.lines = lines
        with open_text(path, encoding) as stream:
            probe = islice((r for _, r in self._numbered(stream, None)), PROBE_RECORDS)
            keys = list(dict.fromkeys(k for r in probe if isinstance(r, dict) for k in r))
        self.columns = check_header(path, keys, "first records' keys")
        self._index = {name: i for i, name in enumerate(self.columns)}

    def _numbered(self, stream: TextIO, problems: list[RowProblem] | None) -> Iterator[tuple[int, object]]:
        if self.lines:
            return _jsonl_records(self.path, stream, problems)
        return enumerate(records(self.path, stream), start=1)

    def iter_chunks(self, rows: int, problems: list[RowProblem]) -> Iterator[Chunk]:
        """Chunks of exactly ``rows`` rows (the last may be shorter), all-empty records dropped."""
        buffer = RowBuffer(self.columns)
        with open_text(self.path, self.encoding) as stream:
            for number, record in self._numbered(stream, problems):
                values = self._row(number, record, problems)
                if values is None or all(v is None for v in values):
                    continue
                buffer.add(values, number)
                if len(buffer) >= rows:
                    yield buffer.take()
        if len(buffer):
            yield buffer.take()

    def _row(self, number: int, record: object, problems: list[RowProblem]) -> list[str | None] | None:
        """The record's values in column order, or None (and a problem) when it cannot be a row."""
        if not isinstance(record, dict):
            kind = "an array" if isinstance(record, list) else "a single value"
            problems.append(RowProblem(number, WHOLE_ROW, f"record is {kind}, not a JSON object"))
            return None
        values: list[str | None] = [None] * len(self.columns)
        for key, value in record.items():
            index = self._index.get(key)
            if index is None:
                index = self._index.get(clean_name(key))
            if index is None:
                name = clean_name(key)
                reason = f"field {name!r} is not among the columns of the first {PROBE_RECORDS:,} records"
                problems.append(RowProblem(number, name, reason))
                return None
            values[index] = as_text(value)
        return values
