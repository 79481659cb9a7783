"""``keyed``: the rows whose key is one of a list, probed through the index on PostgreSQL whatever
the planner's statistics (a real-time table grows faster than autovacuum analyzes it)."""

from __future__ import annotations

from csqm.realtime.writes import delete_keyed, keyed, keyed_rows
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


def _pairs(store: Store, rows: int) -> None:
    """Two rows per key (as findings per conversation), a key with a quote and one in Chinese."""
    numbers = "generate_series(0, ? - 1)" if store.dialect == "postgres" else "range(?)"
    store.execute('CREATE TABLE "kn" ("k" TEXT, "n" INTEGER, PRIMARY KEY ("k", "n"))')
    store.execute(
        f"INSERT INTO \"kn\" SELECT 'k' || CAST(CAST(floor(i / 2) AS INTEGER) AS TEXT), i % 2 FROM {numbers} AS r(i)",
        [rows],
    )
    store.execute('INSERT INTO "kn" VALUES (?, 0), (?, 0)', ["o'neil", "会话-1"])


def test_delete_keyed_deletes_every_row_of_the_keys_and_nothing_else(store: Store) -> None:
    _pairs(store, 200)
    sql, params = delete_keyed(store, "kn", "k", ["k3", "k42", "missing", "o'neil", "会话-1"])
    with store.transaction():
        store.execute(sql, params)
    left = store.rows('SELECT "k", "n" FROM "kn"')
    assert len(left) == 200 - 4
    assert not {k for k, _ in left} & {"k3", "k42", "o'neil", "会话-1"}
    assert ("k4", 1) in left and ("k99", 0) in left
    sql, params = delete_keyed(store, "kn", "k", [])
    store.execute(sql, params)
    assert store.scalar('SELECT count(*) FROM "kn"') == 196


def test_delete_keyed_probes_the_index_on_a_table_never_analyzed(pg: Store) -> None:
    _pairs(pg, 60_000)
    keys = [f"k{i}" for i in range(0, 30_000, 500)]  # the conversations a batch inspects
    sql, params = delete_keyed(pg, "kn", "k", keys)
    pg.execute("SET plan_cache_mode = force_generic_plan")
    plan = "\n".join(r[0] for r in pg.rows(f"EXPLAIN {sql}", params))
    assert "Tid Scan on kn" in plan and "Seq Scan on kn" not in plan, plan
    where, params = keyed_rows(pg, "kn", "k", keys)  # the same rows for a SELECT
    plan = "\n".join(r[0] for r in pg.rows(f'EXPLAIN SELECT "k" FROM "kn" WHERE {where}', params))
    assert "Tid Scan on kn" in plan and "Seq Scan on kn" not in plan, plan
    assert len(pg.rows(f'SELECT "k" FROM "kn" WHERE {where}', params)) == 2 * len(keys)
    pg.execute(sql, params)
    assert pg.scalar('SELECT count(*) FROM "kn"') == 60_002 - 2 * len(keys)


def test_keyed_rows_selects_the_rows_of_the_keys_by_index_probes(store: Store) -> None:
    _pairs(store, 200)
    where, params = keyed_rows(store, "kn", "k", ["k7", "会话-1", "missing"])
    got = store.rows(f'SELECT "k", "n" FROM "kn" WHERE {where} ORDER BY "k", "n"', params)
    assert got == [("k7", 0), ("k7", 1), ("会话-1", 0)]
    where, params = keyed_rows(store, "kn", "k", [])
    assert store.rows(f'SELECT "k" FROM "kn" WHERE {where}', params) == []
