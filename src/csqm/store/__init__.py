"""The store: open a database by URL, with migrations applied where safe."""

from __future__ import annotations

from pathlib import Path

from csqm.errors import ConfigError
from csqm.settings import Settings
from csqm.store.base import Store
from csqm.store.schema import TABLES, TABLES_BY_NAME, Column, Table

__all__ = ["TABLES", "TABLES_BY_NAME", "Column", "Store", "Table", "open_store"]


def open_store(url: str | None = None, *, settings: Settings | None = None, migrate: bool = True) -> Store:
    """Open the store at ``url`` (default: the settings' store, the embedded DuckDB file).

    Additive migrations are applied automatically; others need ``csqm init``.
    """
    settings = settings or Settings.from_env()
    url = url or settings.resolved_store_url
    store: Store
    if url.startswith("duckdb://"):
        from csqm.store.duckdb_store import DuckDBStore

        path = url.removeprefix("duckdb:///").removeprefix("duckdb://")
        store = DuckDBStore(path if path else ":memory:")
    elif url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        from csqm.store.postgres_store import PostgresStore

        store = PostgresStore(url.replace("postgres://", "postgresql://", 1))
    elif url.endswith((".duckdb", ".db")):
        from csqm.store.duckdb_store import DuckDBStore

        store = DuckDBStore(Path(url))
    else:
        raise ConfigError(
            f"Unsupported store URL scheme in {url.split('://')[0]!r}: use duckdb:///path/file.duckdb "
            "or postgresql://user@host/db."
        )
    if migrate:
        try:
            store.migrate(only_additive=True)
        except BaseException:
            store.close()
            raise
    return store
