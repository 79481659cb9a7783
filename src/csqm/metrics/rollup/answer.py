"""``compute_metrics`` with the rollup: the same result, the rolled-up metrics read from the rollup.

For each stretch of constant definitions (as :func:`csqm.metrics.compute_metrics` splits them), the
metrics whose every measure the rollup holds are answered by one query that sums the rollup's day
rows into the requested periods and breakdown and then applies the compiler's own value, numerator,
denominator and sample-size expressions; the others go to the raw tables as usual. The rollup is
used only when it is current (its data version equals the store's), was built for the reporting
zone, and the request needs nothing finer than a day nor a dimension it does not keep; otherwise
everything is answered from the raw tables. ``CSQM_ROLLUP=off`` turns it off (benchmark baseline).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlglot import exp

from csqm.metrics import history as hist
from csqm.metrics.branch import _filter_condition
from csqm.metrics.catalogue import Catalogue
from csqm.metrics.compiler import OUTPUTS, Compiled, compile_metrics, with_inputs
from csqm.metrics.engines import Engine, Params
from csqm.metrics.filters import Filter
from csqm.metrics.measures import MeasureSpec
from csqm.metrics.query import plan_query
from csqm.metrics.request import Request
from csqm.metrics.results import History
from csqm.metrics.rollup.longform import long_format
from csqm.metrics.rollup.outputs import Unsupported, evaluate
from csqm.metrics.rollup.specs import ROLLUP_DIMENSIONS, covered, digest, distinct_dimension, measures_of
from csqm.metrics.rollup.tables import ROLLUP_STATE, ROLLUP_TABLE, TEAM_TABLE
from csqm.metrics.rollup.version import data_version, existing_tables
from csqm.store import Store, ddl


@dataclass(frozen=True)
class RollupState:
    """A built rollup: its zone, measure columns and the data version it was built from."""

    zone: str
    data_version: str
    measures: frozenset[str]


def enabled() -> bool:
    """False when ``CSQM_ROLLUP`` is off, 0, false or no."""
    return os.environ.get("CSQM_ROLLUP", "on").strip().lower() not in ("off", "0", "false", "no")


def built_state(store: Store, present: set[str] | None = None) -> RollupState | None:
    """The rollup's recorded state, or None when it was never built."""
    if ROLLUP_STATE.name not in (existing_tables(store) if present is None else present):
        return None
    frame = store.query(
        f'SELECT "zone", "data_version", "measures" FROM {ddl.quote(ROLLUP_STATE.name)} WHERE "rollup" = ?',
        [ROLLUP_TABLE],
    )
    if frame.empty:
        return None
    row = frame.iloc[0]
    return RollupState(str(row["zone"]), str(row["data_version"]), frozenset(str(row["measures"]).split()))


def current_state(store: Store) -> RollupState | None:
    """The rollup's state when it is enabled, built and current; None otherwise."""
    if not enabled():
        return None
    present = existing_tables(store)
    state = built_state(store, present)
    if state is None or state.data_version != data_version(store, present):
        return None
    return state


_history: dict[str, Any] = {}
_history_lock = threading.Lock()  # the app serves requests from a thread pool


def _sync(store: Store, catalogue: Catalogue, today: date) -> History:
    """:func:`csqm.metrics.history.sync` without re-parsing every recorded definition per request:
    the parsed history is reused while the recorded versions are the same, and nothing is checked
    for recording again while the catalogue object is too (it is immutable in practice)."""
    with _history_lock:
        return _sync_locked(store, catalogue, today)


def _sync_locked(store: Store, catalogue: Catalogue, today: date) -> History:
    hist.ensure_table(store)
    rows = store.query(
        'SELECT "metric_id", "version", "definition_hash", CAST("effective_from" AS VARCHAR) AS "day" '
        'FROM "metric_versions" ORDER BY "metric_id", "version"'
    )
    key = tuple(rows.itertuples(index=False, name=None))
    if _history.get("key") != key:
        _history.clear()
        _history.update(key=key, versions=hist.load(store))
    known: History = _history["versions"]
    if _history.get("checked") is catalogue:
        return known
    new = hist.record(store, catalogue, today, known=known)
    if new:
        _history.clear()  # re-read next time, with the new rows
        known = {m: list(v) for m, v in known.items()}
        for version in new:
            known.setdefault(version.metric_id, []).append(version)
        return known
    _history["checked"] = catalogue
    return known


def compute_metrics(
    store: Store,
    metrics: Sequence[str] | None = None,
    *,
    by: Sequence[str] = (),
    grain: str | None = None,
    start: date | None = None,
    end: date | None = None,
    where: str | Sequence[str] | Sequence[Filter] | None = None,
    catalogue: Catalogue | None = None,
    timezone: str | None = None,
    record_history: bool = True,
    today: date | None = None,
) -> pd.DataFrame:
    """:func:`csqm.metrics.compute_metrics`, answered from the rollup where it can be.

    Same arguments, same result; ``result.attrs["rollup"]`` lists the metrics read from the rollup
    for every period (not, in any period, from the raw tables).
    """
    plan = plan_query(
        store,
        metrics,
        by=by,
        grain=grain,
        start=start,
        end=end,
        where=where,
        catalogue=catalogue,
        timezone=timezone,
        record_history=record_history,
        today=today,
        sync=_sync,
    )
    ids, request, engine = plan.ids, plan.request, plan.engine
    state = current_state(store) if _answerable(request) else None
    if state is not None and state.zone != request.window.zone:
        state = None
    frames, rolled, raw = [], set(), set()
    for segment, as_of in plan.segments():
        fast = _covered(as_of, ids, engine, state.measures) if state is not None else []
        rest = [m for m in ids if m not in fast]
        parts = []
        if fast:
            parts.append((fast, _from_rollup(store, as_of, fast, segment, engine)))
        if rest:
            query = _raw_query(as_of, rest, segment, engine)
            parts.append((rest, store.query(query.sql, query.params)))
        if len(parts) > 1 and segment.keys:
            parts = _same_keys(store, parts, as_of, segment.keys, engine)
        frames += [long_format(wide, part, segment, as_of, plan.versions) for part, wide in parts]
        rolled.update(fast)
        raw.update(rest)
    result = plan.result(frames)
    result.attrs["rollup"] = [m for m in ids if m in rolled and m not in raw]
    return result


def _same_keys(
    store: Store, parts: list[tuple[list[str], pd.DataFrame]], catalogue: Catalogue, keys: list[str], engine: Engine
) -> list[tuple[list[str], pd.DataFrame]]:
    """Every part with the key rows of all parts, as one query over every metric would return.

    The compiler's query has a row for each key that any of its sources has; a metric whose sources
    lack that key gets the values of an aggregate over no row (counts 0, everything else NULL).
    """
    filled = [wide[keys] for _, wide in parts if len(wide)] or [parts[0][1][keys]]  # an empty part's dtypes
    union = pd.concat(filled, ignore_index=True).drop_duplicates(ignore_index=True)  # may be object: not theirs
    out = []
    for ids, wide in parts:
        merged = union.merge(wide[keys], on=keys, how="left", indicator=True)
        absent = merged[(merged["_merge"] == "left_only").to_numpy()].reset_index(drop=True)
        if absent.empty:
            out.append((ids, wide))
            continue
        fill = _over_no_row(store, catalogue, ids, engine)
        rows = len(absent)
        extra = pd.DataFrame(
            {**{k: absent[k] for k in keys}, **{c: _constant(v, rows, wide[c].dtype) for c, v in fill.items()}}
        )
        # Row order does not matter: the result is sorted by metric and keys, which are unique.
        out.append((ids, pd.concat([wide, extra], ignore_index=True) if len(wide) else extra))
    return out


def _constant(value: Any, rows: int, dtype: Any) -> pd.Series:
    """``rows`` copies of ``value`` in the wide result's column type where that can hold it."""
    try:
        series: pd.Series = pd.Series([value] * rows, dtype=dtype)
    except (TypeError, ValueError):  # e.g. NULL for an integer column
        series = pd.Series([value] * rows, dtype=object)
    return series


def _over_no_row(store: Store, catalogue: Catalogue, ids: list[str], engine: Engine) -> dict[str, Any]:
    """The output columns of ``ids`` when every measure is NULL (a key none of their sources has)."""
    key = ("no row", engine.name, tuple(ids), _fingerprint(catalogue, ids))
    cached = _row_cache.get(key)
    if cached is None:
        cached = _no_row(store, catalogue, ids, engine)
        _remember(_row_cache, key, cached)
    return cached


def _no_row(store: Store, catalogue: Catalogue, ids: list[str], engine: Engine) -> dict[str, Any]:
    measures = measures_of(catalogue, ids, engine)
    outputs = {f"{m}__{name}": getattr(measures.outputs[m], name) for m in ids for name in OUTPUTS}
    try:
        nothing = pd.DataFrame({name: [np.nan] for name, _ in measures.columns.values()})
        return {str(k): v for k, v in evaluate(nothing, [], outputs).iloc[0].items()}
    except Unsupported:
        pass
    nulls = exp.select(*[exp.cast(exp.null(), engine.float_type).as_(name) for name, _ in measures.columns.values()])
    columns = [e.copy().as_(c) for c, e in outputs.items()]
    sql, _ = engine.render(exp.select(*columns).from_(nulls.subquery("combined")))
    return {str(k): v for k, v in store.query(sql).iloc[0].items()}


@dataclass(frozen=True)
class _Template:
    """A rollup query for one request shape: the sums alone and with the output expressions (SQL
    text), what each placeholder takes (a source name, the start or end, a filter value), and the
    output expressions by result column."""

    sums_sql: str
    full_sql: str
    slots: list[Any]
    outputs: dict[str, exp.Expr]


_CACHE_LIMIT = 512
_covered_cache: dict[tuple[Any, ...], bool] = {}
_query_cache: dict[tuple[Any, ...], tuple[str, list[Any]]] = {}
_template_cache: dict[tuple[Any, ...], _Template] = {}
_row_cache: dict[tuple[Any, ...], dict[str, Any]] = {}


def _fingerprint(catalogue: Catalogue, ids: list[str]) -> tuple[tuple[str, str], ...]:
    """What the measures of ``ids`` depend on: the computation of each metric involved."""
    return tuple((m, catalogue[m].computation_hash()) for m in with_inputs(catalogue, ids))


def _remember(cache: dict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value


def _covered(catalogue: Catalogue, ids: list[str], engine: Engine, held: frozenset[str]) -> list[str]:
    """:func:`covered`, remembered per metric computation and rollup content."""
    out = []
    for metric_id in ids:
        key = (engine.name, _fingerprint(catalogue, [metric_id]), held)
        known = _covered_cache.get(key)
        if known is None:
            known = bool(covered(catalogue, [metric_id], engine, held))
            _remember(_covered_cache, key, known)
        if known:
            out.append(metric_id)
    return out


def _answerable(request: Request) -> bool:
    """The request needs no finer grain than a day and no dimension the rollup does not keep."""
    dims = set(request.by) | {f.dimension for f in request.filters}
    return request.grain != "hour" and dims <= set(ROLLUP_DIMENSIONS)


def _raw_query(catalogue: Catalogue, ids: list[str], request: Request, engine: Engine) -> Compiled:
    """:func:`compile_metrics`, remembered per request and metric computations (dashboards repeat)."""
    key = ("raw", engine.name, tuple(ids), _fingerprint(catalogue, ids), request)
    cached = _query_cache.get(key)
    if cached is None:
        compiled = compile_metrics(catalogue, ids, request, engine)
        cached = (compiled.sql, compiled.params)
        _remember(_query_cache, key, cached)
    sql, params = cached
    return Compiled(sql, list(params), list(ids), request.keys)


def _from_rollup(store: Store, catalogue: Catalogue, ids: list[str], request: Request, engine: Engine) -> pd.DataFrame:
    """The compiler's wide result for ``ids``, from the rollup's day rows."""
    window = request.window
    shape = tuple((f.dimension, len(f.values), f.negate) for f in request.filters)
    key = (engine.name, tuple(ids), _fingerprint(catalogue, ids), request.grain, request.by, shape,
           window.start is None, window.end_exclusive is None)  # fmt: skip
    template = _template_cache.get(key)
    if template is None:
        template = _rollup_template(catalogue, ids, request, engine)
        _remember(_template_cache, key, template)
    values = {
        "start": None if window.start is None else _midnight(window.start),
        "end": None if window.end_exclusive is None else _midnight(window.end_exclusive),
    }
    params = [
        slot[1] if slot[0] == "source" else values[slot[0]] if slot[0] in values else
        request.filters[slot[1]].values[slot[2]]
        for slot in template.slots
    ]  # fmt: skip
    try:
        return evaluate(store.query(template.sums_sql, params), request.keys, template.outputs)
    except Unsupported:
        return store.query(template.full_sql, params)


def _rollup_template(catalogue: Catalogue, ids: list[str], request: Request, engine: Engine) -> _Template:
    measures = measures_of(catalogue, ids, engine)
    params = Params()
    keys: list[exp.Expr] = []  # by expression: an alias named like a rollup column would group by the column
    if request.grain:
        keys.append(engine.truncate(request.grain, exp.column("period")))
    keys += [exp.column(d) for d in request.by]
    sums = [_total(spec).as_(name) for name, spec in measures.columns.values()]
    sources = sorted({spec.source for _, spec in measures.columns.values()})
    conditions: list[exp.Expr] = [
        exp.In(this=exp.column("source"), expressions=[params.add(("source", s)) for s in sources])
    ]
    window = request.window
    if window.start is not None:
        conditions.append(exp.GTE(this=exp.column("period"), expression=_cast_ts(params.add(("start",)))))
    if window.end_exclusive is not None:
        conditions.append(exp.LT(this=exp.column("period"), expression=_cast_ts(params.add(("end",)))))
    for i, flt in enumerate(request.filters):
        slots = Filter(flt.dimension, tuple(f"{i}/{j}" for j in range(len(flt.values))), flt.negate)
        condition = _filter_condition(exp.column(flt.dimension), slots, params)
        params.values = [("filter", i, int(v.split("/")[1])) if isinstance(v, str) else v for v in params.values]
        conditions.append(condition)
    named = [k.copy().as_(name) for k, name in zip(keys, request.keys, strict=True)]
    uses_agent = "agent" in request.by or any(f.dimension == "agent" for f in request.filters)
    table = ROLLUP_TABLE if uses_agent else TEAM_TABLE
    combined = exp.select(*named, *sums).from_(table).where(exp.and_(*conditions))
    if keys:
        combined = combined.group_by(*keys)
    names = [exp.column(k) for k in request.keys]
    outputs = {f"{m}__{name}": getattr(measures.outputs[m], name).copy() for m in ids for name in OUTPUTS}
    final = exp.select(*[n.copy() for n in names], *[e.copy().as_(c) for c, e in outputs.items()])
    final = final.from_("combined").with_("combined", as_=combined.copy())
    if names:
        final = final.order_by(*[n.copy() for n in names])
    full_sql, order = engine.render(final)
    sums_sql, sums_order = engine.render(combined)
    assert order == sums_order  # the outputs add no placeholder
    return _Template(sums_sql, full_sql, [params.values[i] for i in order], outputs)


def _total(spec: MeasureSpec) -> exp.Expr:
    """A measure over the selected day rows: their sum, or the distinct count of a dimension."""
    column = exp.column(digest(spec))
    dim = distinct_dimension(spec)
    if dim is None:
        return exp.func("SUM", column)
    positive = exp.GT(this=column, expression=exp.Literal.number(0))
    return exp.Count(this=exp.Distinct(expressions=[exp.Case(ifs=[exp.If(this=positive, true=exp.column(dim))])]))


def _cast_ts(value: exp.Expr) -> exp.Expr:
    return exp.cast(value, "TIMESTAMP")


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)
