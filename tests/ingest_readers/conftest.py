"""Shared helpers of the reader tests: read a whole file, check messages carry no cell values."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from csqm.ingest.readers import Chunk, RowProblem, SourceFile, open_source


@dataclass
class Read:
    """Everything read from one file."""

    source: SourceFile
    chunks: list[Chunk]

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [r for c in self.chunks for r in c.frame.to_dict("records")]

    @property
    def numbers(self) -> list[int]:
        return [int(n) for c in self.chunks for n in c.row_numbers]

    @property
    def problems(self) -> list[RowProblem]:
        return self.source.problems

    @property
    def frame(self) -> pd.DataFrame:
        return pd.concat([c.frame for c in self.chunks], ignore_index=True)


def read_all(path: Path, rows: int = 100_000, **options: Any) -> Read:
    """Open ``path`` and read every chunk, checking the chunk invariants on the way."""
    source = open_source(path, **options)
    chunks = list(source.chunks(rows))
    for i, chunk in enumerate(chunks):
        assert list(chunk.frame.columns) == source.columns
        assert chunk.row_numbers.dtype == np.int64
        assert len(chunk.row_numbers) == len(chunk.frame) > 0
        assert list(chunk.frame.index) == list(range(len(chunk.frame)))
        if i < len(chunks) - 1:
            assert len(chunk.frame) == rows
        if source.format != "parquet":  # text formats: object columns of str or None, nothing else
            assert all(dtype == np.dtype(object) for dtype in chunk.frame.dtypes)
            assert all(v is None or type(v) is str for col in chunk.frame.columns for v in chunk.frame[col])
    numbers = [int(n) for c in chunks for n in c.row_numbers]
    assert numbers == sorted(set(numbers))
    return Read(source, chunks)


@pytest.fixture
def read() -> Callable[..., Read]:
    return read_all


def assert_no_values(text: str, values: Iterable[str]) -> None:
    """No cell value appears in a message (values may be personal data)."""
    for value in values:
        assert value not in text, f"cell value {value!r} leaked into {text!r}"


@pytest.fixture
def no_values() -> Callable[[str, Iterable[str]], None]:
    return assert_no_values
