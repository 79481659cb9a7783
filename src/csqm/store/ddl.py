"""DDL generated from the schema declarations, per engine.

Only identifiers declared in ``csqm.store.schema`` ever reach SQL text here; values are always bound
as parameters by the callers.
"""

from __future__ import annotations

from typing import Literal

from csqm.store.schema import Column, Table

Dialect = Literal["duckdb", "postgres"]

_TYPES: dict[Dialect, dict[str, str]] = {
    "duckdb": {
        "text": "VARCHAR",
        "int": "BIGINT",
        "float": "DOUBLE",
        "bool": "BOOLEAN",
        "timestamp": "TIMESTAMP",
        "date": "DATE",
    },
    "postgres": {
        "text": "TEXT",
        "int": "BIGINT",
        "float": "DOUBLE PRECISION",
        "bool": "BOOLEAN",
        "timestamp": "TIMESTAMP",
        "date": "DATE",
    },
}


def quote(identifier: str) -> str:
    """Quote an identifier; refuses anything that is not a plain declared name."""
    if not identifier.replace("_", "").isalnum() or not identifier.isascii():
        raise ValueError(f"refusing to quote unexpected identifier {identifier!r}")
    return f'"{identifier}"'


def sql_type(column: Column, dialect: Dialect) -> str:
    return _TYPES[dialect][column.type]


def create_table(table: Table, dialect: Dialect, *, name: str | None = None, temporary: bool = False) -> str:
    """``CREATE TABLE`` for a declared table (optionally under another name, as a temp table)."""
    cols = [f"{quote(c.name)} {sql_type(c, dialect)}{'' if c.nullable else ' NOT NULL'}" for c in table.columns]
    if not temporary:
        cols.append(f"PRIMARY KEY ({', '.join(quote(k) for k in table.key)})")
    kind = "TEMPORARY TABLE" if temporary else "TABLE"
    return f"CREATE {kind} IF NOT EXISTS {quote(name or table.name)} (\n  " + ",\n  ".join(cols) + "\n)"


def create_indexes(table: Table) -> list[str]:
    out = []
    for cols in table.indexes:
        idx = f"ix_{table.name}_{'_'.join(cols)}"
        out.append(
            f"CREATE INDEX IF NOT EXISTS {quote(idx)} ON {quote(table.name)} ({', '.join(quote(c) for c in cols)})"
        )
    return out


def add_column(table: Table, column: Column, dialect: Dialect) -> str:
    return f"ALTER TABLE {quote(table.name)} ADD COLUMN IF NOT EXISTS {quote(column.name)} {sql_type(column, dialect)}"
