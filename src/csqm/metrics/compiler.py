"""Compile a set of metrics into one SQL query for one engine.

Shape of the generated query::

    WITH combined AS (
      -- one aggregate SELECT per source: keys + that source's measures (NULL for the others)
      SELECT period, team, …, COUNT(CASE WHEN … THEN 1 END) AS m0, …
      FROM (rows of interactions, see ``branch``) GROUP BY …
      UNION ALL
      SELECT … FROM surveys AS t …
    )                                  -- several sources: re-grouped by the keys (MAX per column)
    SELECT period, team, …, <value, numerator, denominator, sample size of every metric>
    FROM combined ORDER BY period, team, …

Identifiers come only from the validated catalogue and ``csqm.store.schema``; user values (dates,
filter values) are bound parameters; catalogue parameters are typed literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from csqm.metrics.branch import source_select
from csqm.metrics.catalogue import Catalogue
from csqm.metrics.engines import GRAINS, Engine, Params
from csqm.metrics.measures import MeasureSet
from csqm.metrics.model import Metric
from csqm.metrics.request import MetricQueryError, Request
from csqm.metrics.sources import DIMENSIONS, SOURCES
from csqm.metrics.validate import derived_inputs, metric_dimensions, metric_sources

OUTPUTS = ("value", "numerator", "denominator", "sample_size")


@dataclass(frozen=True)
class Compiled:
    """SQL text with ``?`` placeholders, its parameters, and the result layout."""

    sql: str
    params: list[Any]
    metrics: list[str]
    keys: list[str]


def unsupported(metric: Metric, catalogue: Catalogue, dims: set[str]) -> list[str]:
    """Dimensions in ``dims`` that ``metric`` cannot be broken down or filtered by."""
    return sorted(dims - metric_dimensions(metric, catalogue))


def check_request(catalogue: Catalogue, ids: list[str], request: Request) -> None:
    """Raise MetricQueryError naming the metric and dimension when a metric cannot answer."""
    if request.grain is not None and request.grain not in GRAINS:
        raise MetricQueryError(f"Unknown grain {request.grain!r}; use one of {', '.join(GRAINS)}.")
    unknown_dims = [d for d in request.by if d not in DIMENSIONS]
    if unknown_dims:
        raise MetricQueryError(f"Unknown dimension {unknown_dims[0]!r}; known: {', '.join(DIMENSIONS)}.")
    asked = set(request.by) | {f.dimension for f in request.filters}
    for metric_id in ids:
        if metric_id not in catalogue:
            raise MetricQueryError(f"Unknown metric {metric_id!r}; `csqm metrics --list` shows the catalogue.")
        missing = unsupported(catalogue[metric_id], catalogue, asked)
        if missing:
            raise MetricQueryError(
                f"Metric {metric_id} cannot be broken down or filtered by {', '.join(missing)}: its "
                f"source ({', '.join(sorted(_sources(catalogue, metric_id)))}) has no such dimension."
            )


def _sources(catalogue: Catalogue, metric_id: str) -> set[str]:
    return metric_sources(catalogue[metric_id], catalogue)


def compile_metrics(
    catalogue: Catalogue, ids: list[str], request: Request, engine: Engine, *, pretty: bool = False
) -> Compiled:
    """One query computing ``ids`` (and the metrics derived ones use) for ``request``."""
    check_request(catalogue, ids, request)
    measures = MeasureSet(catalogue, engine)
    for metric_id in with_inputs(catalogue, ids):
        measures.metric(catalogue[metric_id])
    params = Params()
    query = _query(measures, ids, request, engine, params)
    sql, order = engine.render(query, pretty=pretty)
    return Compiled(sql, [params.values[i] for i in order], list(ids), request.keys)


def with_inputs(catalogue: Catalogue, ids: list[str]) -> list[str]:
    """``ids`` and, before each derived metric, the metrics it uses (recursively)."""
    out: list[str] = []

    def visit(metric_id: str) -> None:
        for ref in derived_inputs(catalogue[metric_id]):
            visit(ref)
        if metric_id not in out:
            out.append(metric_id)

    for metric_id in ids:
        visit(metric_id)
    return out


def _query(measures: MeasureSet, ids: list[str], request: Request, engine: Engine, params: Params) -> exp.Select:
    all_columns = [name for name, _ in measures.columns.values()]
    branches = [
        source_select(SOURCES[src_name], first, wanted, all_columns, request, engine, params)
        for (src_name, first), wanted in measures.branches().items()
    ]
    keys = [exp.column(k) for k in request.keys]
    combined: exp.Query = branches[0]
    if len(branches) > 1:
        union: exp.Query = branches[0]
        for branch in branches[1:]:
            union = exp.union(union, branch, distinct=False, copy=False)
        regrouped = [exp.func("MAX", exp.column(c)).as_(c, copy=False) for c in all_columns]
        combined = exp.select(*keys, *regrouped, copy=False).from_(union.subquery("u", copy=False), copy=False)
        if keys:
            combined = combined.group_by(*[k.copy() for k in keys], copy=False)
    outputs = []
    for metric_id in ids:
        out = measures.outputs[metric_id]
        for name in OUTPUTS:
            outputs.append(getattr(out, name).copy().as_(f"{metric_id}__{name}", copy=False))
    final = (
        exp.select(*[k.copy() for k in keys], *outputs, copy=False)
        .from_("combined", copy=False)
        .with_("combined", as_=combined, copy=False)
    )
    return final.order_by(*[k.copy() for k in keys], copy=False) if keys else final
