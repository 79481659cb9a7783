"""``keyed``: the rows whose key is one of a list, probed through the index on PostgreSQL whatever
the planner's statistics (a real-time table grows faster than autovacuum analyzes it)."""

from __future__ import annotations

from csqm.realtime.writes import keyed
from csqm.store import Store


def _table(store: Store, rows: int) -> None:
    numbers = "generate_series(0, ? - 1)" if store.dialect == "postgres" else "range(?)"
    store.execute('CREATE TABLE "kv" ("k" TEXT PRIMARY KEY, "v" INTEGER)')
    store.execute(f"INSERT INTO \"kv\" SELECT 'k' || CAST(i AS TEXT), i FROM {numbers} AS r(i)", [rows])


def test_rows_of_the_keys_with_extra_conditions(store: Store) -> None:
    _table(store, 100)
    source, params = keyed(store, "kv", "k", ["k3", "k42", "missing", "k99"])
    assert sorted(store.rows(f'SELECT t."k", t."v" FROM {source}', params)) == [("k3", 3), ("k42", 42), ("k99", 99)]
    got = store.rows(f'SELECT t."v" FROM {source} AND t."v" > ?', [*params, 10])
    assert sorted(v for (v,) in got) == [42, 99]
    source, params = keyed(store, "kv", "k", [])
    assert store.rows(f'SELECT t."k" FROM {source}', params) == []


def test_postgres_probes_the_index_on_a_table_never_analyzed(pg: Store) -> None:
    _table(pg, 30_000)  # no ANALYZE: what a fresh real-time schema looks like after a minute
    keys = [f"k{i}" for i in range(0, 30_000, 150)]  # a batch's worth of event ids
    source, params = keyed(pg, "kv", "k", keys)
    # a generic plan, as psycopg's prepared statements get after a few executions
    pg.execute("SET plan_cache_mode = force_generic_plan")
    plan = "\n".join(r[0] for r in pg.rows(f'EXPLAIN SELECT t."k" FROM {source}', params))
    assert "Index" in plan and "Seq Scan on kv" not in plan, plan
    assert len(pg.rows(f'SELECT t."k" FROM {source}', params)) == len(keys)
