"""The KPI summary against targets: one line per metric, for ``csqm demo`` and quick looks."""

from __future__ import annotations

from datetime import date

import pandas as pd

from csqm.metrics.catalogue import Catalogue, load_catalogue, user_dir_from_env
from csqm.metrics.query import compute_metrics
from csqm.store.base import Store

SUMMARY_COLUMNS = (
    "metric", "name", "dimension", "value", "unit", "target", "warning", "status", "sample_size",
)  # fmt: skip


def kpi_summary(
    store: Store,
    *,
    start: date | None = None,
    end: date | None = None,
    where: str | None = None,
    catalogue: Catalogue | None = None,
    lang: str = "zh",
) -> pd.DataFrame:
    """Every active metric over the range (default: all data), with its target and status.

    ``name`` is the Chinese name for ``lang="zh"`` and the English one otherwise.
    """
    cat = catalogue or load_catalogue(user_dir_from_env())
    frame = compute_metrics(store, None, start=start, end=end, where=where, catalogue=cat)
    metrics = [cat[m] for m in frame["metric"]]
    frame["name"] = [m.name.zh if lang == "zh" else m.name.en for m in metrics]
    frame["dimension"] = [m.dimension for m in metrics]
    return frame[list(SUMMARY_COLUMNS)].reset_index(drop=True)


def format_value(value: float | None, unit: str) -> str:
    """A value for people: ``85.3%``, ``42 s``, ``4.61``; ``–`` when there is no data."""
    if value is None or pd.isna(value):
        return "–"
    if unit in ("%", "‰"):
        return f"{value:.1f}{unit}"
    if unit in ("s", "h"):
        return f"{value:.1f} {unit}"
    if unit in ("score", "points"):
        return f"{value:.2f}" if unit == "score" else f"{value:.1f}"
    return f"{value:g} {unit}"
