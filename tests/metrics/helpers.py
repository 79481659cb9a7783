"""Helpers for metric tests: insert hand-made rows, compute one metric, find shared data."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from csqm.ingest.stage import ARROW_TYPES
from csqm.metrics import Catalogue, compute_metrics, default_catalogue
from csqm.store import Store
from csqm.store.migrations import declared_table

Row = dict[str, Any]


def insert(store: Store, name: str, rows: list[Row]) -> None:
    """Append rows (dicts of column → value; missing columns are null) to a store table."""
    if not rows:
        return
    decl = declared_table(name)
    names = [c.name for c in decl.columns if any(c.name in r for r in rows)]
    unknown = {k for r in rows for k in r} - set(decl.column_names)
    assert not unknown, f"{name} has no column(s) {unknown}"
    arrays = {n: pa.array([r.get(n) for r in rows], type=ARROW_TYPES[decl.column(n).type]) for n in names}
    store.load_arrow(name, pa.table(arrays))


def load(store: Store, data: dict[str, list[Row]]) -> None:
    """Insert several tables at once (organisation tables first)."""
    for name, rows in data.items():
        insert(store, name, rows)


def one(store: Store, metric: str, **kwargs: Any) -> pd.Series:
    """The single result row of ``metric`` (no breakdown)."""
    frame = compute_metrics(store, [metric], **kwargs)
    assert len(frame) == 1, frame
    return frame.iloc[0]


def value(store: Store, metric: str, **kwargs: Any) -> float | None:
    """The value of ``metric`` over everything (or the given slice); None when null."""
    got = one(store, metric, **kwargs)["value"]
    return None if got is None or (isinstance(got, float) and math.isnan(got)) else float(got)


def values(frame: pd.DataFrame, key: str) -> dict[Any, float | None]:
    """{key value: metric value} of a single-metric result, nulls as None."""
    out: dict[Any, float | None] = {}
    for k, v in zip(frame[key], frame["value"], strict=True):
        kk = k.date() if isinstance(k, pd.Timestamp) else k
        out[kk] = None if pd.isna(v) else float(v)
    return out


def ts(text: str) -> datetime:
    """A naive UTC timestamp from ``YYYY-MM-DD HH:MM[:SS]``."""
    return datetime.fromisoformat(text)


def d(text: str) -> date:
    return date.fromisoformat(text)


def assert_values(got: dict[str, float | None], expected: dict[str, float | None]) -> None:
    """Every expected metric value matches (1e-9 relative); lists all mismatches at once."""
    wrong = []
    for metric, want in expected.items():
        have = got.get(metric, "missing")
        if want is None or have is None or have == "missing":
            ok = have is None and want is None
        else:
            ok = math.isclose(float(have), want, rel_tol=1e-9, abs_tol=1e-9)  # type: ignore[arg-type]
        if not ok:
            wrong.append(f"{metric}: expected {want}, got {have}")
    assert not wrong, "\n".join(wrong)


def by_metric(frame: pd.DataFrame) -> dict[str, float | None]:
    """{metric: value} of an unbroken-down result."""
    return {m: (None if pd.isna(v) else float(v)) for m, v in zip(frame["metric"], frame["value"], strict=True)}


def with_params(metric_id: str, params: dict[str, Any], catalogue: Catalogue | None = None) -> Catalogue:
    """The default catalogue with some parameters of one metric changed."""
    cat = catalogue or default_catalogue()
    metric = cat[metric_id]
    new = {k: p.model_copy(update={"value": params.get(k, p.value)}) for k, p in metric.params.items()}
    return cat.replace({metric_id: metric.model_copy(update={"params": new})})


def with_changes(metric_id: str, catalogue: Catalogue | None = None, **fields: Any) -> Catalogue:
    """The default catalogue with some fields of one metric changed."""
    cat = catalogue or default_catalogue()
    return cat.replace({metric_id: cat[metric_id].model_copy(update=fields)})
