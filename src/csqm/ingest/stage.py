"""Turning validated frames into typed Arrow batches for the store's staging tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from csqm.store.schema import Table

#: The Arrow type of each column type of the data model.
ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}


def _array(series: pd.Series, type_: pa.DataType) -> pa.Array:
    if pa.types.is_date32(type_):
        return pa.array(pd.to_datetime(series).dt.date.where(series.notna(), None), type=type_)
    if pa.types.is_int64(type_):
        numeric = pd.to_numeric(series, errors="coerce")
        return pa.array(numeric.round().astype("Int64"), type=type_, from_pandas=True)
    if pa.types.is_string(type_):
        return pa.array(series, type=type_, from_pandas=True)
    return pa.array(series, type=type_, from_pandas=True)


def to_arrow(table: Table, frame: pd.DataFrame, row_numbers: np.ndarray, batch_id: str) -> pa.Table:
    """Columns of ``frame`` that belong to ``table``, cast to the store's types, plus batch and row."""
    arrays, names = [], []
    for col in table.columns:
        if col.name in frame.columns:
            arrays.append(_array(frame[col.name], ARROW_TYPES[col.type]))
            names.append(col.name)
    if "batch_id" in table.column_names and "batch_id" not in frame.columns:
        arrays.append(pa.array([batch_id] * len(frame), type=pa.string()))
        names.append("batch_id")
    arrays.append(pa.array(row_numbers, type=pa.int64()))
    names.append("_row")
    return pa.table(arrays, names=names)
