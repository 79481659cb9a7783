"""Shared types of the input readers: row problems, chunks, the backend protocol, header checks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from csqm.errors import IngestError

#: Column name used in a :class:`RowProblem` that concerns the whole row.
WHOLE_ROW = "*row*"


@dataclass(frozen=True)
class RowProblem:
    """A row that could not even be parsed; it becomes a rejected row, not a crash.

    ``reason`` never contains cell values (they may carry personal data): only column names,
    counts and positions.
    """

    row_number: int
    field: str
    reason: str


@dataclass
class Chunk:
    """Consecutive data rows of a file.

    ``frame`` has the file's (cleaned) column names; ``row_numbers[i]`` is the 1-based data row
    number of ``frame.iloc[i]`` (row 1 is the first row after the header).
    """

    frame: pd.DataFrame
    row_numbers: np.ndarray


class Backend(Protocol):
    """What a format reader provides to :class:`csqm.ingest.readers.SourceFile`."""

    def iter_chunks(self, rows: int, problems: list[RowProblem]) -> Iterator[Chunk]:
        """Yield chunks of at most ``rows`` rows, appending row problems to ``problems``."""
        ...


def clean_name(name: object) -> str:
    """A header cell as a column name: text with BOMs and surrounding whitespace removed."""
    text = "" if name is None else str(name)
    return text.replace("\ufeff", "").strip()


def check_header(path: Path, names: Sequence[object], what: str = "header") -> list[str]:
    """Cleaned column names; IngestError when one is blank or a name appears twice."""
    cleaned = [clean_name(n) for n in names]
    blank = [str(i + 1) for i, n in enumerate(cleaned) if not n]
    if blank:
        which = f"column {blank[0]}" if len(blank) == 1 else f"columns {', '.join(blank)}"
        raise IngestError(f"{path} has a blank column name in its {what} ({which}); give every column a name.")
    dupes = sorted(name for name, count in Counter(cleaned).items() if count > 1)
    if dupes:
        listed = ", ".join(repr(n) for n in dupes)
        raise IngestError(f"{path} names the column(s) {listed} more than once in its {what}; rename them.")
    return cleaned


def object_frame(columns: dict[str, object]) -> pd.DataFrame:
    """A DataFrame of object columns (values are ``str`` or ``None``), never the inferred ``str`` dtype."""
    frame = pd.DataFrame(columns, dtype=object)
    frame.index = pd.RangeIndex(len(frame))
    return frame


class RowBuffer:
    """Collects rows of Python values column by column and cuts them into chunks."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self._values: list[list[str | None]] = [[] for _ in self.columns]
        self._numbers: list[int] = []

    def __len__(self) -> int:
        return len(self._numbers)

    def add(self, values: Sequence[str | None], number: int) -> None:
        """Append one row (``values`` in column order)."""
        for column, value in zip(self._values, values, strict=True):
            column.append(value)
        self._numbers.append(number)

    def take(self) -> Chunk:
        """The buffered rows as a chunk; the buffer is emptied."""
        frame = object_frame(dict(zip(self.columns, self._values, strict=True)))
        if not self.columns:
            frame = pd.DataFrame(index=pd.RangeIndex(len(self._numbers)))
        chunk = Chunk(frame, np.asarray(self._numbers, dtype=np.int64))
        self._values = [[] for _ in self.columns]
        self._numbers = []
        return chunk
