"""From the engine's wide result to the long result rows, with version, target and status.

The compiled query returns one row per period × breakdown with four columns per metric; callers get
one row per metric × period × breakdown. Each row is judged against the target of the metric version
in effect on the first day of its period (or of the range, without a grain), and of the most
specific scenario its breakdown or a one-value filter matches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csqm.metrics import history as hist
from csqm.metrics.catalogue import Catalogue
from csqm.metrics.compiler import OUTPUTS
from csqm.metrics.model import Metric
from csqm.metrics.request import Request
from csqm.metrics.targets import target_for

#: Columns of a result besides the breakdown keys (``period`` and the ``by`` dimensions).
RESULT_COLUMNS = (
    "metric", *OUTPUTS, "unit", "direction", "target", "warning", "status", "version", "definition_hash",
)  # fmt: skip

History = dict[str, list[hist.Version]]


def long_format(
    wide: pd.DataFrame, ids: list[str], request: Request, cat: Catalogue, versions: History
) -> pd.DataFrame:
    """One row per metric × key combination."""
    keys = request.keys
    fixed = {f.dimension: f.fixes for f in request.filters if f.fixes is not None}
    parts = []
    for metric_id in ids:
        part = wide[keys].copy()
        for name in OUTPUTS:
            part[name] = pd.to_numeric(wide[f"{metric_id}__{name}"], errors="coerce").astype("float64")
        part.insert(0, "metric", metric_id)
        part["unit"], part["direction"] = cat[metric_id].unit, cat[metric_id].direction
        parts.append(_judge(part, cat[metric_id], versions.get(metric_id, []), request, fixed))
    out = pd.concat(parts, ignore_index=True)
    out["sample_size"] = out["sample_size"].fillna(0).astype("int64")
    if "period" in out:
        out["period"] = pd.to_datetime(out["period"])
    return out[["metric", *keys, *RESULT_COLUMNS[1:]]]


def ordered(frame: pd.DataFrame, ids: list[str], keys: list[str]) -> pd.DataFrame:
    """Rows by metric (in the order asked) then keys — in pandas, so not by a database collation."""
    if frame.empty:
        return frame.reset_index(drop=True)
    rank = {m: i for i, m in enumerate(ids)}
    out = frame.sort_values(by=["metric", *keys], key=lambda c: c.map(rank) if c.name == "metric" else c, kind="stable")
    return out.reset_index(drop=True)


def empty_result(request: Request) -> pd.DataFrame:
    return pd.DataFrame(columns=["metric", *request.keys, *RESULT_COLUMNS[1:]])


def _judge(
    part: pd.DataFrame, metric: Metric, history: list[hist.Version], request: Request, fixed: dict[str, str]
) -> pd.DataFrame:
    """Add version, definition hash, target, warning and status (per distinct day × scenario keys)."""
    part["_day"] = _days(part, request)
    candidates = [metric, *(v.metric for v in history)]
    dims = [d for d in request.by if any(d in s.when for m in candidates for s in m.scenarios)]
    combos = part[["_day", *dims]].drop_duplicates()
    facts = []
    for row in combos.itertuples(index=False, name=None):
        version = hist.in_effect(history, row[0])
        used = version.metric if version else metric
        target, warning = target_for(used, {**fixed, **dict(zip(dims, row[1:], strict=True))})
        facts.append((*row, version.version if version else None, version.definition_hash if version else
                      metric.definition_hash(), target, warning))  # fmt: skip
    table = pd.DataFrame(facts, columns=["_day", *dims, "version", "definition_hash", "target", "warning"])
    table["version"] = table["version"].astype("Int64")
    table[["target", "warning"]] = table[["target", "warning"]].astype("float64")
    out = part.merge(table, on=["_day", *dims], how="left").drop(columns="_day")
    out["status"] = _status(out, metric.direction)
    return out


def _days(part: pd.DataFrame, request: Request) -> pd.Series:
    if "period" in part:
        return pd.to_datetime(part["period"]).dt.date
    return pd.Series([request.window.start] * len(part), index=part.index, dtype=object)


def _status(frame: pd.DataFrame, direction: str) -> pd.Series:
    value, target, warning = (frame[c].to_numpy(dtype="float64") for c in ("value", "target", "warning"))
    sign = 1.0 if direction == "higher" else -1.0
    with np.errstate(invalid="ignore"):
        good = sign * (value - target) >= 0
        warn = sign * (value - warning) >= 0
    known = ~(np.isnan(value) | np.isnan(target) | np.isnan(warning))
    labels = np.where(good, "good", np.where(warn, "warning", "bad")).astype(object)
    labels[~known] = None
    return pd.Series(labels, index=frame.index, dtype=object)
