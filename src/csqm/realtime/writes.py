"""How the real-time processor writes a batch: each table in one statement whatever the batch size.

On PostgreSQL the rows' columns are bound as arrays and unnested (one round trip, no staging
table); on the embedded store they are read in place from an Arrow table. Identifiers come from the
declared schema and are quoted; values are always bound parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa

from csqm.ingest.stage import ARROW_TYPES
from csqm.store import Store
from csqm.store.ddl import quote, sql_type
from csqm.store.schema import Table

Columns = dict[str, list[Any]]


def marks(values: Sequence[Any]) -> str:
    """One ``?`` placeholder per value."""
    return ", ".join("?" for _ in values)


def in_values(store: Store, column: str, values: list[Any]) -> tuple[str, list[Any]]:
    """``column`` is one of ``values``: one array parameter on PostgreSQL (short SQL text, one
    bind whatever the batch size), a list of placeholders on the embedded store."""
    if store.dialect == "postgres":
        return f"{column} = ANY(?)", [list(values)]
    return f"{column} IN ({marks(values)})", list(values)


def keyed(
    store: Store, table: str, column: str, keys: list[str], alias: str = "t", *, columns: str = "*"
) -> tuple[str, list[Any]]:
    """``FROM`` and ``WHERE`` for the rows of ``table`` (as ``alias``, with ``columns`` on
    PostgreSQL) whose text ``column`` is one of ``keys``; the caller may add ``AND`` conditions.
    PostgreSQL: one index probe per key (a lateral subquery the planner cannot flatten), whatever
    its statistics say; ``column = ANY($1)`` in a
    prepared statement turned into a sequential scan testing every row against every key on a
    table that grew since its last ANALYZE: 25–100 ms per batch at 15–35k events, and growing.
    The embedded store: a list of placeholders (DuckDB probes its index for those)."""
    name, col = quote(table), quote(column)
    if store.dialect == "postgres":
        probe = f"SELECT {columns} FROM {name} WHERE {col} = _k.v OFFSET 0"
        return f"unnest(?::text[]) AS _k(v) CROSS JOIN LATERAL ({probe}) AS {alias} WHERE TRUE", [list(keys)]
    return f"{name} AS {alias} WHERE {alias}.{col} IN ({marks(keys)})", list(keys)


def keyed_rows(store: Store, table: str, column: str, keys: list[str]) -> tuple[str, list[Any]]:
    """A ``WHERE`` condition on ``table`` (unaliased) for its rows whose text ``column`` is one of
    ``keys``, for a ``DELETE`` or a plain ``SELECT``. PostgreSQL: the rows are found by one index
    probe per key (as in :func:`keyed`) and taken by their ``ctid`` (a Tid Scan). Without
    statistics the planner guesses: ``column = ANY($1)`` became a sequential scan at 25k rows
    (60 keys: 4.6 ms, 0.15 ms once analyzed), a join with ``unnest($1)`` one at 250k rows
    (31.8 ms); this takes 0.12 ms whatever the statistics. A row updated by another transaction
    after the statement began would be missed; the callers delete only rows that their own
    conversations' lock lets them write. The embedded store: a list of placeholders."""
    if store.dialect == "postgres":
        source, params = keyed(store, table, column, keys, alias="_t", columns="ctid")
        return f"ctid = ANY(ARRAY(SELECT _t.ctid FROM {source}))", params
    return in_values(store, quote(column), keys)


def delete_keyed(store: Store, table: str, column: str, keys: list[str]) -> tuple[str, list[Any]]:
    """``DELETE`` of the rows of ``table`` whose text ``column`` is one of ``keys`` (:func:`keyed_rows`)."""
    where, params = keyed_rows(store, table, column, keys)
    return f"DELETE FROM {quote(table)} WHERE {where}", params


def append(store: Store, table: Table, data: Columns) -> None:
    """Append the rows of ``data`` (columns of equal length, named as in ``table``) in one statement
    (on PostgreSQL as :func:`_sourced` binds a source). There the Python lists are bound as they are, whereas
    :meth:`~csqm.store.base.Store.load_arrow` of the same rows first builds Arrow arrays and then
    turns them back into lists to bind them (a 160-row event batch: 0.15 ms to build, 0.62 ms to
    read back, mostly making the timestamps again); a column of nulls only is left out there (null
    either way)."""
    if not data or not len(next(iter(data.values()))):
        return
    if store.dialect == "postgres":
        data = {c: v for c, v in data.items() if any(x is not None for x in v)}
        name, cols = quote(table.name), ", ".join(quote(c) for c in data)
        _sourced(store, table, data, lambda src: f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {src}", False)
        return
    store.load_arrow(table.name, _arrow(table, data))


def upsert(
    store: Store,
    table: Table,
    data: Columns,
    *,
    update: Sequence[str],
    coalesce: bool = False,
    returning: bool = False,
) -> list[tuple[Any, ...]]:
    """Insert the rows of ``data`` (columns of equal length) into ``table``, updating ``update``
    columns of rows whose key exists, in one statement (``coalesce``: keep the stored value where
    the new one is NULL); with ``returning``, the resulting rows (columns of ``data``)."""
    name = quote(table.name)
    cols = ", ".join(quote(c) for c in data)
    keys = ", ".join(quote(k) for k in table.key)
    kept = "COALESCE(excluded.{0}, {1}.{0})" if coalesce else "excluded.{0}"
    sets = ", ".join(f"{quote(c)} = " + kept.format(quote(c), name) for c in update)
    tail = f" ON CONFLICT ({keys}) DO UPDATE SET {sets}" + (f" RETURNING {cols}" if returning else "")
    return _sourced(
        store, table, data, lambda src: f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {src}{tail}", returning
    )


def update_rows(store: Store, table: Table, data: Columns, *, update: Sequence[str]) -> None:
    """Set ``update`` columns of the stored rows whose key is in ``data``, in one statement (cheaper
    than an upsert on the embedded store: the columns are not indexed, so rows change in place)."""
    name = quote(table.name)
    sets = ", ".join(f"{quote(c)} = u.{quote(c)}" for c in update)
    match = " AND ".join(f"{name}.{quote(k)} = u.{quote(k)}" for k in table.key)
    params: list[Any] = []
    if store.dialect == "duckdb" and len(table.key) == 1:
        # DuckDB joins the source to a scan of the whole table, which grows with it; with the keys
        # listed too, the scan is filtered by them. 20 rows, DuckDB 2.0: 0.94 / 1.28 ms at 1,000
        # rows, 3.29 / 2.69 ms at 10M rows in random order (4.33 / 2.33 ms in key order).
        where, params = in_values(store, f"{name}.{quote(table.key[0])}", data[table.key[0]])
        match += f" AND {where}"
    _sourced(store, table, data, lambda src: f"UPDATE {name} SET {sets} FROM {src} WHERE {match}", False, params)


def delete_rows(store: Store, table: Table, data: Columns) -> None:
    """Delete the stored rows of ``table`` that equal a row of ``data`` on all of its columns, in one
    statement (a row changed since it was read is kept)."""
    name = quote(table.name)
    match = " AND ".join(f"u.{quote(c)} = {name}.{quote(c)}" for c in data)
    _sourced(
        store, table, data, lambda src: f"DELETE FROM {name} WHERE EXISTS (SELECT 1 FROM {src} WHERE {match})", False
    )


def _pg_array(type_: str, values: list[Any]) -> list[Any]:
    """A column as a list psycopg binds as one array (it refuses lists mixing int and float)."""
    if type_ == "float":
        return [None if v is None else float(v) for v in values]
    if type_ == "int":
        return [None if v is None else int(v) for v in values]
    return values


def _sourced(
    store: Store,
    table: Table,
    data: Columns,
    statement: Callable[[str], str],
    returning: bool,
    params: Sequence[Any] = (),
) -> list[tuple[Any, ...]]:
    """Run ``statement(source)`` with the rows of ``data`` as its source ``u`` (and ``params`` for
    the placeholders ``statement`` adds after the source's): one statement with
    the columns bound as arrays and unnested on PostgreSQL (no staging table: one round trip);
    an Arrow table read in place on the embedded store
    (:meth:`~csqm.store.duckdb_store.DuckDBStore.run_reading`)."""
    if store.dialect == "postgres":
        arrays = ", ".join(f"?::{sql_type(table.column(c), 'postgres')}[]" for c in data)
        names = ", ".join(quote(c) for c in data)
        bound = [_pg_array(table.column(c).type, v) for c, v in data.items()]
        sql = statement(f"unnest({arrays}) AS u({names})")
        if returning:
            return store.rows(sql, [*bound, *params])
        store.execute(sql, [*bound, *params])
        return []
    cursor = store.run_reading(statement("_csqm_source AS u"), _arrow(table, data), params)  # type: ignore[attr-defined]
    return [tuple(r) for r in cursor.fetchall()] if returning else []


def _arrow(table: Table, data: Columns) -> pa.Table:
    """The columns of ``data`` as an Arrow table of ``table``'s declared types."""
    types = {c.name: ARROW_TYPES[c.type] for c in table.columns}
    return pa.table({c: pa.array(v, types[c]) for c, v in data.items()})
