"""Row bookkeeping of the CSV reader: record numbers, rejected rows, and the end-of-file sentinel.

pyarrow accepts a last record that ends inside an unterminated quote when its field count is right.
To notice it, the body stream ends with a line holding :data:`SENTINEL`: normally that line is a
record of its own (dropped silently), but after an unterminated quote it is swallowed by the open
value, which then ends with the sentinel and marks its row as truncated.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from csqm.ingest.formats.base import WHOLE_ROW, RowProblem

SENTINEL = "\x1e\x1fcsqm:end-of-file\x1f\x1e"
_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "'|'"}


class SentinelStream(io.RawIOBase):
    """A binary stream that returns ``raw``'s bytes, then a line break and :data:`SENTINEL`.

    Every read returns exactly the size asked for until the very end, so that pyarrow never
    mistakes a short read for the end of the stream.
    """

    def __init__(self, raw: Any) -> None:
        super().__init__()
        self._raw = raw
        self._tail = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all the rest when ``size`` is negative or None)."""
        want = -1 if size is None else size
        data = self._tail + (b"" if self._done else self._raw.read(want))
        self._tail = b""
        if not self._done and (want < 0 or len(data) < want):
            data += b"\n" + SENTINEL.encode("utf-8")
            self._done = True
        if 0 <= want < len(data):
            data, self._tail = data[:want], data[want:]
        return data

    def close(self) -> None:
        self._raw.close()
        super().close()


class Numbering:
    """Assigns record numbers to the rows of successive batches, skipping the rejected records."""

    def __init__(self, first: int) -> None:
        self.next = first
        self.skipped: list[int] = []

    def assign(self, count: int) -> np.ndarray:
        """The record numbers of the next ``count`` accepted rows."""
        pending = [s for s in self.skipped if s >= self.next]
        if not pending or pending[0] >= self.next + count:
            numbers = np.arange(self.next, self.next + count, dtype=np.int64)
        else:
            candidates = np.arange(self.next, self.next + count + len(pending), dtype=np.int64)
            numbers = candidates[~np.isin(candidates, pending)][:count]
        if count:
            self.next = int(numbers[-1]) + 1
        self.skipped = [s for s in pending if s >= self.next]
        return numbers


class Progress:
    """State kept across re-reads: rows already handed out, problems already recorded.

    ``lead`` is 1 when pyarrow also reads the header record (as row 0), else 0.
    """

    def __init__(self, problems: list[RowProblem], expected: int, delimiter: str, lead: int) -> None:
        self.problems = problems
        self.expected = expected
        self.delimiter = delimiter
        self.lead = lead
        self.done = 0
        self.reported = 0

    def report(self, number: int, reason: str) -> None:
        """Record a problem once, even when a re-read meets the row again."""
        if number > self.reported:
            self.reported = number
            self.problems.append(RowProblem(number, WHOLE_ROW, reason))

    def handler(self, numbering: Numbering) -> Callable[[Any], str]:
        """A pyarrow invalid-row handler that records the row and skips it."""

        def handle(row: Any) -> str:
            number = int(row.number) - self.lead
            numbering.skipped.append(number)
            if str(row.text) != SENTINEL:
                self.report(number, self.reason(row))
            return "skip"

        return handle

    def reason(self, row: Any) -> str:
        """Why a row has the wrong number of fields (counts only, never the row's text)."""
        actual, expected = int(row.actual_columns), self.expected
        fields = "1 field" if actual == 1 else f"{actual} fields"
        if actual < expected and str(row.text).endswith(SENTINEL):
            return f"truncated — {actual} of {expected} fields (unterminated quote at the end of the file)"
        if actual < expected:
            return f"row has {fields} but the header has {expected} (truncated line?)"
        name = _DELIMITER_NAMES[self.delimiter]
        return f"row has {fields} but the header has {expected} (a value with an unquoted {name}?)"

    def strip_sentinel(self, batch: pa.RecordBatch, numbers: np.ndarray) -> tuple[pa.RecordBatch, np.ndarray]:
        """Drop the sentinel row, or report the last row as truncated when it swallowed the sentinel."""
        if batch.num_rows == 0:
            return batch, numbers
        last = batch.column(batch.num_columns - 1)[batch.num_rows - 1].as_py()
        if not (isinstance(last, str) and last.endswith(SENTINEL)):
            return batch, numbers
        if last != SENTINEL:
            self.report(int(numbers[-1]), "truncated — unterminated quote at the end of the file")
        return batch.slice(0, batch.num_rows - 1), numbers[:-1]
