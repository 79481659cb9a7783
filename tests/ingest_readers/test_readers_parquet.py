"""Parquet reading: native types, text as object/None, nullable integers, chunks, bad files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from csqm.errors import IngestError
from csqm.ingest.readers import open_source


def _table(n: int) -> pa.Table:
    return pa.table(
        {
            " id ": pa.array([f"{i:06d}" if i % 3 else None for i in range(n)]),
            "seq": pa.array([i if i % 4 else None for i in range(n)], pa.int64()),
            "score": pa.array([i / 2 for i in range(n)], pa.float64()),
            "ok": pa.array([i % 2 == 0 for i in range(n)]),
            "at": pa.array([datetime(2026, 1, 1, 0, 0, i % 60) for i in range(n)], pa.timestamp("us")),
            "channel": pa.array(["voice", "chat"] * (n // 2)).dictionary_encode(),
        }
    )


def test_native_types_and_chunks(tmp_path: Path, read) -> None:
    path = tmp_path / "x.parquet"
    pq.write_table(_table(1000), path, row_group_size=300)
    result = read(path, rows=256)
    assert result.source.format == "parquet" and result.source.encoding is None
    assert result.source.columns == ["id", "seq", "score", "ok", "at", "channel"]
    assert [len(c.frame) for c in result.chunks] == [256, 256, 256, 232]
    assert result.numbers == list(range(1, 1001))
    frame = result.frame
    assert frame["id"].dtype == object and frame["id"].iloc[0] is None and frame["id"].iloc[1] == "000001"
    assert frame["seq"].dtype == pd.Int64Dtype() and frame["seq"].iloc[0] is pd.NA and frame["seq"].iloc[5] == 5
    assert frame["score"].dtype == "float64" and frame["ok"].dtype == pd.BooleanDtype()
    assert pd.api.types.is_datetime64_any_dtype(frame["at"])
    assert frame["channel"].dtype == object and frame["channel"].iloc[1] == "chat"


def test_duplicate_and_blank_names(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", " a"]), path)
    with pytest.raises(IngestError, match=r"x\.parquet names the column\(s\) 'a' more than once"):
        open_source(path)
    pq.write_table(pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", ""]), path)
    with pytest.raises(IngestError, match=r"x\.parquet has a blank column name in its schema \(column 2\)"):
        open_source(path)


def test_truncated_parquet(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    pq.write_table(_table(100), good)
    path = tmp_path / "x.parquet"
    path.write_bytes(good.read_bytes()[:-100])
    with pytest.raises(IngestError, match=r"x\.parquet cannot be read as a Parquet file: it is damaged"):
        open_source(path)


def test_empty_parquet(tmp_path: Path, read) -> None:
    path = tmp_path / "x.parquet"
    pq.write_table(_table(0), path)
    result = read(path)
    assert result.source.columns[0] == "id" and result.chunks == []
