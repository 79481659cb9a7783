"""Which measures a rollup can hold exactly, and their stable column names.

A measure is rolled up when its aggregate is a plain count or sum over a dated source: the total over
a range is then the sum of the per-day totals (counts exactly; sums of whole-second durations exactly,
sums of fractional values up to the order of floating-point additions). A distinct count of a
dimension the rollup keeps (channel coverage) is rolled up as the row count per day and key: the
distinct count is the number of that dimension's values with a positive count. Percentiles, other
distinct counts, averages, minima and maxima do not add up, and employment-span sources (agents) are
counted per period rather than per day: metrics that use them are answered from the raw tables.

Measures over a window (the next contact of the same customer, for FCR) are rolled up too: the raw
query computes the window over every row of the table on the side it looks, so the per-day totals of
a whole-table build are the same; that is also why a refresh rebuilds the rollup whole.
"""

from __future__ import annotations

import hashlib

from sqlglot import exp

from csqm.metrics.catalogue import Catalogue
from csqm.metrics.compiler import with_inputs
from csqm.metrics.engines import Engine
from csqm.metrics.measures import MeasureSet, MeasureSpec
from csqm.metrics.results import History
from csqm.metrics.sources import SOURCES

#: Aggregates whose totals are sums of per-day totals.
ADDITIVE = ("count", "sum")

#: Dimensions the rollup keeps (the drill-down path and the target scenarios' business line).
ROLLUP_DIMENSIONS = ("centre", "team", "agent", "channel", "business_line")


def digest(spec: MeasureSpec) -> str:
    """Column name of a measure in the rollup: ``m_`` and a hash of its definition."""
    return "m_" + hashlib.sha256(spec.key().encode()).hexdigest()[:16]


def distinct_dimension(spec: MeasureSpec) -> str | None:
    """The rollup dimension a distinct count counts (``COUNT(DISTINCT channel)``), if it counts one."""
    value = spec.value
    if spec.agg != "count_distinct" or not isinstance(value, exp.Column) or value.table != "t":
        return None
    dims = SOURCES[spec.source].dimensions
    return next((d for d in ROLLUP_DIMENSIONS if dims.get(d) == ("t", value.name)), None)


def stored(spec: MeasureSpec) -> MeasureSpec:
    """What the rollup keeps for a measure: itself, or for a distinct count of a dimension the number
    of rows counted per day and key (the distinct count is then over the keys where it is positive)."""
    if distinct_dimension(spec) is None:
        return spec
    return MeasureSpec(spec.source, "count", spec.value, spec.condition, inner=spec.inner)


def rollable(spec: MeasureSpec) -> bool:
    src = SOURCES[spec.source]
    dated = src.span is None and src.time is not None
    return dated and (spec.agg in ADDITIVE or distinct_dimension(spec) is not None)


def measures_of(catalogue: Catalogue, ids: list[str], engine: Engine) -> MeasureSet:
    """The measure set of ``ids`` and the metrics they derive from."""
    measures = MeasureSet(catalogue, engine)
    for metric_id in with_inputs(catalogue, ids):
        measures.metric(catalogue[metric_id])
    return measures


def catalogue_specs(catalogue: Catalogue, versions: History, engine: Engine) -> dict[str, MeasureSpec]:
    """Every rollable measure of the catalogue and of every recorded version of its metrics, by column."""
    out: dict[str, MeasureSpec] = {}
    variants = [catalogue] + [
        catalogue.replace({metric_id: v.metric})
        for metric_id, history in versions.items()
        if metric_id in catalogue
        for v in history
    ]
    for variant in variants:
        for metric_id in variant.metrics:
            try:
                measures = measures_of(variant, [metric_id], engine)
            except (KeyError, ValueError):  # an old version that no longer fits the data model
                continue
            for _, spec in measures.columns.values():
                if rollable(spec):
                    out.setdefault(digest(spec), spec)
    return out


def covered(catalogue: Catalogue, ids: list[str], engine: Engine, held: frozenset[str]) -> list[str]:
    """The metrics of ``ids`` whose every measure (their inputs' included) is in ``held``."""
    out = []
    for metric_id in ids:
        measures = measures_of(catalogue, [metric_id], engine)
        if all(rollable(spec) and digest(spec) in held for _, spec in measures.columns.values()):
            out.append(metric_id)
    return out
