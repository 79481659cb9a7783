"""Build the rollup: per source, the rolled-up measures by local day × dimensions, in one table.

For each source the compiler's own branch query (``csqm.metrics.branch.source_select``) is asked for
every rollable measure by day and by the rollup dimensions the source has, over the whole table —
the very aggregates a metric query computes, only finer. Sources that scan twice (the interactions'
window measures) are re-grouped with MAX like the compiler's multi-source queries. Missing
dimensions are NULL, other sources' measures are NULL. The result is written as a new table and
swapped in, with its state, in one transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlglot import exp

from csqm.metrics import history as hist
from csqm.metrics.branch import source_select
from csqm.metrics.catalogue import Catalogue, load_catalogue, user_dir_from_env
from csqm.metrics.engines import Engine, Params, engine_for
from csqm.metrics.measures import MeasureSpec
from csqm.metrics.request import Request
from csqm.metrics.rollup.specs import ROLLUP_DIMENSIONS, catalogue_specs, stored
from csqm.metrics.rollup.tables import (
    BUILDING_TABLE,
    ROLLUP_STATE,
    ROLLUP_TABLE,
    TEAM_BUILDING_TABLE,
    TEAM_TABLE,
    ensure_tables,
)
from csqm.metrics.rollup.version import data_version
from csqm.metrics.sources import SOURCES
from csqm.metrics.timegrid import Window
from csqm.store import Store, ddl


@dataclass(frozen=True)
class RefreshSummary:
    """What a refresh built."""

    rows: int
    measures: int
    sources: int
    seconds: float


def refresh(store: Store, catalogue: Catalogue | None = None) -> RefreshSummary:
    """Rebuild the rollup for ``catalogue`` (default: the shipped one plus ``$CSQM_METRICS_DIR``)."""
    began = time.perf_counter()
    cat = catalogue or load_catalogue(user_dir_from_env())
    ensure_tables(store)
    version = data_version(store)
    engine = engine_for(store.dialect)
    specs = catalogue_specs(cat, hist.load(store), engine)
    columns = sorted(specs)
    by_source: dict[str, dict[str, MeasureSpec]] = {}
    for name in columns:
        by_source.setdefault(specs[name].source, {})[name] = stored(specs[name])
    params = Params()
    parts = [
        _source_part(src, wanted, columns, cat.reporting_timezone, engine, params)
        for src, wanted in sorted(by_source.items())
    ]
    store.execute(f"DROP TABLE IF EXISTS {ddl.quote(BUILDING_TABLE)}")
    if parts:
        union: exp.Query = parts[0]
        for part in parts[1:]:
            union = exp.union(union, part, distinct=False, copy=False)
        # By team first: a team's (or agent's) rows then sit together and scans skip the others (3× faster).
        query = exp.select("*").from_(union.subquery("u", copy=False)).order_by("team", "period", "source")
    else:
        query = _empty(engine)
    sql, order = engine.render(query)
    store.execute(f"CREATE TABLE {ddl.quote(BUILDING_TABLE)} AS {sql}", [params.values[i] for i in order])
    rows = int(store.scalar(f"SELECT count(*) FROM {ddl.quote(BUILDING_TABLE)}") or 0)
    _build_team_level(store, columns)
    seconds = round(time.perf_counter() - began, 3)
    with store.transaction():
        for building, table in ((BUILDING_TABLE, ROLLUP_TABLE), (TEAM_BUILDING_TABLE, TEAM_TABLE)):
            store.execute(f"DROP TABLE IF EXISTS {ddl.quote(table)}")
            store.execute(f"ALTER TABLE {ddl.quote(building)} RENAME TO {ddl.quote(table)}")
        store.execute(f"DELETE FROM {ddl.quote(ROLLUP_STATE.name)} WHERE {ddl.quote('rollup')} = ?", [ROLLUP_TABLE])
        store.execute(
            f"INSERT INTO {ddl.quote(ROLLUP_STATE.name)} VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                ROLLUP_TABLE,
                cat.reporting_timezone,
                version,
                " ".join(columns),
                rows,
                datetime.now(UTC).replace(tzinfo=None),
                seconds,
            ],
        )
    return RefreshSummary(rows, len(columns), len(parts), seconds)


def _build_team_level(store: Store, columns: list[str]) -> None:
    """The rollup summed over agents. A distinct-count column holds row counts, so its sum stays
    positive exactly where one of the agents' counts was; SUM is NULL only where every part was."""
    keys = ", ".join(ddl.quote(k) for k in ("source", "period", *ROLLUP_DIMENSIONS) if k != "agent")
    sums = "".join(f", SUM({ddl.quote(c)}) AS {ddl.quote(c)}" for c in columns)
    store.execute(f"DROP TABLE IF EXISTS {ddl.quote(TEAM_BUILDING_TABLE)}")
    store.execute(
        f"CREATE TABLE {ddl.quote(TEAM_BUILDING_TABLE)} AS SELECT {keys}{sums} "
        f"FROM {ddl.quote(BUILDING_TABLE)} GROUP BY {keys} ORDER BY {ddl.quote('period')}, {ddl.quote('source')}"
    )


def _source_part(
    src_name: str,
    wanted: dict[str, MeasureSpec],
    columns: list[str],
    zone: str,
    engine: Engine,
    params: Params,
) -> exp.Select:
    """``source, period, <dimensions>, <every measure column>`` for one source."""
    src = SOURCES[src_name]
    dims = [d for d in ROLLUP_DIMENSIONS if d in src.dimensions]
    request = Request(by=tuple(dims), grain="day", window=Window(zone))
    needed = frozenset().union(*(s.inner for s in wanted.values()))
    branches: dict[frozenset[str], dict[str, MeasureSpec]] = {}
    for name, spec in wanted.items():
        branches.setdefault(spec.inner if src.split_windows else needed, {})[name] = spec
    own = sorted(wanted)
    selects = [source_select(src, first, specs, own, request, engine, params) for first, specs in branches.items()]
    rows: exp.Query = selects[0]
    for select in selects[1:]:
        rows = exp.union(rows, select, distinct=False, copy=False)
    keys = ["period", *dims]
    several = len(selects) > 1

    def measure(name: str) -> exp.Expr:
        if name not in wanted:
            return exp.cast(exp.null(), engine.float_type).as_(name)
        value: exp.Expr = exp.func("MAX", exp.column(name)) if several else exp.column(name)
        return exp.cast(value, engine.float_type).as_(name)

    text = "TEXT" if engine.name == "postgres" else "VARCHAR"
    dim_columns = [
        exp.cast(exp.column(d), text).as_(d) if d in dims else exp.cast(exp.null(), text).as_(d)
        for d in ROLLUP_DIMENSIONS
    ]
    out = exp.select(
        exp.cast(exp.Literal.string(src_name), text).as_("source"),
        exp.cast(exp.column("period"), "TIMESTAMP").as_("period"),
        *dim_columns,
        *[measure(name) for name in columns],
    ).from_(rows.subquery("b", copy=False))
    return out.group_by(*[exp.column(k) for k in keys]) if several else out


def _empty(engine: Engine) -> exp.Select:
    """A rollup with no measure: the key columns and no row."""
    text = "TEXT" if engine.name == "postgres" else "VARCHAR"
    keys = [exp.cast(exp.null(), text).as_("source"), exp.cast(exp.null(), "TIMESTAMP").as_("period")]
    keys += [exp.cast(exp.null(), text).as_(d) for d in ROLLUP_DIMENSIONS]
    return exp.select(*keys).where(exp.false())
