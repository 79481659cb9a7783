"""Checks that need more than one metric or the data model; every problem is reported, none raised.

- sources exist, expressions parse and use only known columns, functions and parameters;
- every declared parameter is used (a misspelt override would otherwise change nothing);
- derived metrics refer to known metrics, without cycles;
- targets agree with the direction (for "higher is better", warning ≤ target);
- scenario targets name dimensions the metric can be broken down by, with known values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from sqlglot import exp

from csqm.metrics import expressions as ex
from csqm.metrics.located import LocatedDict, Location, locate
from csqm.metrics.model import Metric
from csqm.metrics.sources import DIMENSION_VALUES, DIMENSIONS, SOURCES

if TYPE_CHECKING:
    from csqm.metrics.catalogue import Catalogue, Problem


def metric_sources(metric: Metric, catalogue: Catalogue, _seen: frozenset[str] = frozenset()) -> set[str]:
    """Every source a metric reads, through derived metrics too."""
    if metric.kind != "derived":
        return {metric.source_of(m) for m in metric.measures().values()}
    out: set[str] = set()
    for ref in derived_inputs(metric):
        if ref in catalogue and ref not in _seen:
            out |= metric_sources(catalogue[ref], catalogue, _seen | {metric.id})
    return out


def metric_dimensions(metric: Metric, catalogue: Catalogue) -> set[str]:
    """Dimensions every source of the metric can reach."""
    dims = set(DIMENSIONS)
    for name in metric_sources(metric, catalogue):
        dims &= set(SOURCES[name].dimensions) if name in SOURCES else set()
    return dims


def derived_inputs(metric: Metric) -> list[str]:
    """Metric ids a derived metric's expression uses, in order of appearance."""
    if metric.expr is None:
        return []
    try:
        tree = ex.parse(metric.expr)
    except ex.ExpressionError:
        return []
    return list(dict.fromkeys(c.name for c in tree.find_all(exp.Column)))


def validate_catalogue(catalogue: Catalogue, raw: Mapping[str, LocatedDict]) -> list[Problem]:
    """All problems of a structurally valid catalogue."""
    from csqm.metrics.catalogue import Problem

    problems: list[Problem] = []
    for metric in catalogue.metrics.values():
        entry = raw[metric.id]

        def at(*path: str | int, entry: LocatedDict = entry) -> Location:
            return locate(entry, path, entry.where)

        for path, message in _metric_problems(metric, catalogue):
            problems.append(Problem(at(*path), metric.id, message))
    problems.extend(_cycles(catalogue, raw))
    return problems


Found = Iterator[tuple[tuple[str | int, ...], str]]


def _metric_problems(metric: Metric, catalogue: Catalogue) -> Found:
    if metric.kind == "derived":
        yield from _derived(metric, catalogue)
    else:
        yield from _sources_and_expressions(metric)
    yield from _targets(metric)
    yield from _scenarios(metric, catalogue)


def _sources_and_expressions(metric: Metric) -> Found:
    if metric.source not in SOURCES:
        yield ("source",), f"unknown source {metric.source!r}; known: {', '.join(SOURCES)}"
        return
    params = metric.param_values()
    used: set[str] = set()
    texts: list[tuple[tuple[str | int, ...], str, str]] = []
    if metric.filter:
        texts.append((("filter",), metric.filter, metric.source))
    for role, measure in metric.measures().items():
        src = metric.source_of(measure)
        if src not in SOURCES:
            yield (role, "source"), f"unknown source {src!r}; known: {', '.join(SOURCES)}"
            continue
        texts += [((role, k), t, src) for k, t in (("expr", measure.expr), ("filter", measure.filter)) if t]
    for path, text, src in texts:
        try:
            tree = ex.parse(text)
        except ex.ExpressionError as exc:
            yield path, str(exc)
            continue
        used |= {p.name for p in tree.find_all(exp.Placeholder)}
        for message in ex.check(tree, ex.source_columns(SOURCES[src]), params):
            yield path, f"{message} (source {src})"
    for name in params:
        if name not in used:
            yield ("params", name), f"parameter {name!r} is not used by any expression"


def _derived(metric: Metric, catalogue: Catalogue) -> Found:
    assert metric.expr is not None
    try:
        tree = ex.parse(metric.expr)
    except ex.ExpressionError as exc:
        yield ("expr",), str(exc)
        return
    known = [m for m in catalogue.metrics if m != metric.id]
    for message in ex.check(tree, known, {}):
        yield ("expr",), message.replace("unknown column", "unknown metric")
    if metric.params:
        yield ("params",), "derived metrics take their settings from the metrics they use"


def _targets(metric: Metric) -> Found:
    rows: list[tuple[tuple[str | int, ...], float | None, float | None]] = [
        (("warning",), metric.target, metric.warning)
    ]
    rows += [(("scenarios", i, "warning"), s.target, s.warning) for i, s in enumerate(metric.scenarios)]
    for path, target, warning in rows:
        if target is None or warning is None:
            continue
        if metric.direction == "higher" and warning > target:
            yield path, f"higher is better, so the warning level ({warning:g}) must be ≤ the target ({target:g})"
        if metric.direction == "lower" and warning < target:
            yield path, f"lower is better, so the warning level ({warning:g}) must be ≥ the target ({target:g})"
    if metric.scenarios and metric.target is None:
        yield ("scenarios",), "scenario targets need a default target and warning"


def _scenarios(metric: Metric, catalogue: Catalogue) -> Found:
    reachable = metric_dimensions(metric, catalogue)
    for i, scenario in enumerate(metric.scenarios):
        for dim, value in scenario.when.items():
            path = ("scenarios", i, "when", dim)
            if dim not in DIMENSIONS:
                yield path, f"unknown dimension {dim!r}; known: {', '.join(DIMENSIONS)}"
            elif dim not in reachable:
                yield path, f"this metric cannot be broken down by {dim}"
            elif dim in DIMENSION_VALUES and value not in DIMENSION_VALUES[dim]:
                yield path, f"unknown {dim} {value!r}; known: {', '.join(DIMENSION_VALUES[dim])}"


def _cycles(catalogue: Catalogue, raw: Mapping[str, LocatedDict]) -> list[Problem]:
    from csqm.metrics.catalogue import Problem

    problems = []
    for metric in catalogue.metrics.values():
        stack, seen = list(derived_inputs(metric)), set()
        while stack:
            ref = stack.pop()
            if ref == metric.id:
                where = locate(raw[metric.id], ("expr",), raw[metric.id].where)
                problems.append(Problem(where, metric.id, "derived metric depends on itself"))
                break
            if ref in seen or ref not in catalogue:
                continue
            seen.add(ref)
            stack.extend(derived_inputs(catalogue[ref]))
    return problems
