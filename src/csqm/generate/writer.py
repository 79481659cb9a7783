"""Incremental CSV / Parquet writers: one file per kind, exactly the canonical input columns.

CSV: UTF-8, header row, timestamps ``YYYY-MM-DD HH:MM:SS`` (naive local time), dates ``YYYY-MM-DD``,
booleans ``true``/``false``, empty cells for missing values. Parquet: the same columns with native
types (naive ``timestamp[s]``, ``date32``, ``bool``, ``int64``, ``float64``, ``string``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from csqm.ingest.canonical import canonical_fields
from csqm.store.schema import table

KINDS = (
    "centres",
    "teams",
    "agents",
    "customers",
    "interactions",
    "utterances",
    "tickets",
    "surveys",
    "complaints",
    "orders",
    "agent_states",
    "schedules",
    "kb_events",
)
_TYPES = {
    "text": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("s"),
    "date": pa.date32(),
}


def arrow_schema(kind: str) -> pa.Schema:
    """The Arrow schema of a generated ``kind`` file (identity and personal fields are text)."""
    decl = table(kind)
    types = {c.name: _TYPES[c.type] for c in decl.columns}
    return pa.schema([(name, types.get(name, pa.string())) for name in canonical_fields(kind)])


def ts(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Generator seconds (naive local) as ``timestamp[s]``; rows not ``valid`` are null."""
    values = np.asarray(seconds, dtype=np.int64).astype("datetime64[s]")
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    return pa.array(values, type=pa.timestamp("s"), mask=mask)


def _column(value: Any, type_: pa.DataType, n: int) -> pa.Array:
    if value is None:
        return pa.nulls(n, type=type_)
    if isinstance(value, pa.ChunkedArray):
        value = value.combine_chunks()
    if isinstance(value, pa.Array):
        return value if value.type == type_ else value.cast(type_)
    if isinstance(value, np.ndarray):
        return pa.array(value, type=type_, from_pandas=True)
    return pa.array(list(value), type=type_)


def to_table(kind: str, columns: Mapping[str, Any]) -> pa.Table:
    """A table of ``kind`` from column values (arrays, lists or None for an empty column)."""
    schema = arrow_schema(kind)
    unknown = set(columns) - set(schema.names)
    if unknown:
        raise KeyError(f"{kind}: not canonical fields: {sorted(unknown)}")
    sizes = {len(v) for v in columns.values() if v is not None}
    if len(sizes) != 1:
        raise ValueError(f"{kind}: columns of different lengths {sorted(sizes)}")
    n = sizes.pop()
    arrays = [_column(columns.get(f.name), f.type, n) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


class Sink:
    """Writers for every kind of one output folder; files are opened on first write."""

    def __init__(self, out_dir: Path, fmt: str) -> None:
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"unsupported format {fmt!r} (csv or parquet)")
        self.out_dir, self.fmt = out_dir, fmt
        self.rows: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._writers: dict[str, pacsv.CSVWriter | pq.ParquetWriter] = {}
        out_dir.mkdir(parents=True, exist_ok=True)

    def path(self, kind: str) -> Path:
        return self.out_dir / f"{kind}.{self.fmt}"

    def write(self, kind: str, columns: Mapping[str, Any]) -> None:
        """Append rows to the file of ``kind``."""
        data = to_table(kind, columns)
        writer = self._writers.get(kind) or self._open(kind)
        writer.write_table(data)
        self.rows[kind] += data.num_rows

    def _open(self, kind: str) -> pacsv.CSVWriter | pq.ParquetWriter:
        schema, path = arrow_schema(kind), self.path(kind)
        writer: pacsv.CSVWriter | pq.ParquetWriter
        if self.fmt == "csv":
            writer = pacsv.CSVWriter(str(path), schema, write_options=pacsv.WriteOptions(quoting_style="needed"))
        else:
            writer = pq.ParquetWriter(str(path), schema, compression="zstd")
        self._writers[kind] = writer
        return writer

    def close(self) -> list[Path]:
        """Close every writer (empty kinds get a header-only file); the files written."""
        for kind in KINDS:
            if kind not in self._writers:
                self._open(kind)
        for writer in self._writers.values():
            writer.close()
        return [self.path(kind) for kind in KINDS]
