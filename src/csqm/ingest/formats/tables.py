"""Arrow record batches to chunks: exact chunk sizes, empty-row removal, pandas conversion."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from csqm.ingest.formats.base import Chunk

Numbered = tuple[pa.RecordBatch, np.ndarray]

_NULLABLE: dict[pa.DataType, pd.api.extensions.ExtensionDtype] = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.uint8(): pd.UInt8Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(),
    pa.uint64(): pd.UInt64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}


def drop_empty_rows(batch: pa.RecordBatch, numbers: np.ndarray) -> Numbered:
    """Remove rows in which every value is null (e.g. ``,,,`` lines Excel leaves behind)."""
    if batch.num_columns == 0 or any(col.null_count == 0 for col in batch.columns):
        return batch, numbers
    empty = pc.is_null(batch.column(0))
    for col in batch.columns[1:]:
        empty = pc.and_(empty, pc.is_null(col))
    mask = np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)
    if not mask.any():
        return batch, numbers
    return batch.filter(pa.array(~mask)), numbers[~mask]


def rebatch(batches: Iterable[Numbered], rows: int) -> Iterator[tuple[pa.Table, np.ndarray]]:
    """Regroup numbered batches into tables of exactly ``rows`` rows (the last may be shorter)."""
    held: list[pa.RecordBatch] = []
    numbers: list[np.ndarray] = []
    count = 0
    for batch, nums in batches:
        if batch.num_rows == 0:
            continue
        held.append(batch)
        numbers.append(nums)
        count += batch.num_rows
        while count >= rows:
            table = pa.Table.from_batches(held)
            all_numbers = np.concatenate(numbers)
            yield table.slice(0, rows), all_numbers[:rows]
            rest = table.slice(rows)
            held, numbers, count = rest.to_batches(), [all_numbers[rows:]], rest.num_rows
    if count:
        yield pa.Table.from_batches(held), np.concatenate(numbers)


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return _is_text(kind.value_type)
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind))


def _column(values: pa.ChunkedArray) -> pd.Series:
    """Text as object values (``str`` or None); other types native, integers/booleans nullable."""
    if _is_text(values.type):
        text = values.cast(pa.string()) if pa.types.is_dictionary(values.type) else values
        return pd.Series(text.to_numpy(zero_copy_only=False), dtype=object, copy=False)
    series = values.to_pandas(types_mapper=_NULLABLE.get)
    return pd.Series(series)


def to_chunk(table: pa.Table, numbers: np.ndarray) -> Chunk:
    """A chunk of ``table``: text columns as object dtype with None for missing."""
    frame = pd.DataFrame({name: _column(table.column(name)) for name in table.column_names})
    frame.index = pd.RangeIndex(table.num_rows)
    return Chunk(frame, np.asarray(numbers, dtype=np.int64))
