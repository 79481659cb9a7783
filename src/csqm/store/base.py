"""The store: one SQL database behind a URL (embedded DuckDB by default, or PostgreSQL).

Engines differ only in connecting, bulk loading and a few SQL details; everything else — migrations,
staging and merging of ingest batches — is written once here against the common subset.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from csqm.errors import StoreError
from csqm.store import ddl
from csqm.store.migrations import LATEST, MIGRATIONS, VERSION_TABLE
from csqm.store.rows import plain
from csqm.store.schema import TABLES_BY_NAME, Table


class Store(ABC):
    """A connection to the CSQM database. Use as a context manager, or call :meth:`close`."""

    dialect: ddl.Dialect
    url: str

    # -- engine specifics ---------------------------------------------------------------------
    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement with ``?`` placeholders; return the affected row count (or -1)."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Run a query with ``?`` placeholders and return a DataFrame."""

    @abstractmethod
    def load_arrow(self, name: str, data: pa.Table) -> None:
        """Append ``data`` to the existing (temporary) table ``name``; columns matched by name."""

    @abstractmethod
    def begin(self) -> None: ...

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def rollback(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    def is_key_conflict(self, exc: BaseException) -> bool:
        """Whether ``exc`` is a primary-key or unique violation (the statement's transaction is then
        lost); engines that do not tell say no."""
        return False

    def set_threads(self, threads: int) -> None:
        """How many threads the engine may use for one statement, in this process; only the embedded
        store has such a setting (a server's is its own), the others ignore it."""
        return None

    def analyze(self, name: str) -> None:
        """Bring the planner's statistics of table ``name`` up to date, on an engine that has to be
        asked (PostgreSQL never analyses temporary tables by itself); the others ignore it."""
        return None

    @contextlib.contextmanager
    def pipelined(self) -> Iterator[None]:
        """Within this block, statements whose answer is not needed yet are sent without waiting for
        it (a server's pipeline mode); an error of one of them is raised by a later call: at
        the latest the next read of rows, or :meth:`commit`. Engines without a server run each statement
        at once, as outside the block. Why: see :class:`~csqm.store.postgres_store.PostgresStore`."""
        yield

    def another_connection(self) -> Store:
        """A second connection to the same database, for work in another thread next to this one
        (its own transactions; close it when done). Engines that cannot give one say so."""
        raise StoreError(f"The {self.dialect} store cannot open a second connection.")

    # -- common behaviour -----------------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: commit on success, roll back on any exception (Ctrl-C included)."""
        self.begin()
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.commit()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query as tuples of plain values (the engines answer without a DataFrame)."""
        frame = self.query(sql, params)
        return [tuple(plain(v) for v in r) for r in frame.itertuples(index=False, name=None)]

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        frame = self.query(sql, params)
        return None if frame.empty else frame.iat[0, 0]

    def schema_version(self) -> int:
        self.execute(VERSION_TABLE)
        value = self.scalar('SELECT max("version") FROM "schema_migrations"')
        return 0 if value is None or pd.isna(value) else int(value)

    def migrate(self, *, only_additive: bool = False) -> list[int]:
        """Apply pending migrations in one transaction; return the versions applied."""
        current = self.schema_version()
        pending = [m for m in MIGRATIONS if m.version > current]
        if only_additive and any(not m.additive for m in pending):
            raise StoreError(
                f"The store is at schema version {current} and needs a non-additive migration to "
                f"reach {LATEST}; back it up and run `csqm init`."
            )
        if not pending:
            return []
        with self.transaction():
            for migration in pending:
                for statement in migration.statements(self.dialect):
                    self.execute(statement)
                self.execute(
                    'INSERT INTO "schema_migrations" VALUES (?, ?, ?)',
                    (migration.version, migration.description, _utcnow()),
                )
        return [m.version for m in pending]

    def table(self, name: str) -> pd.DataFrame:
        """The whole of a declared table as a DataFrame (for small tables and tests)."""
        decl = TABLES_BY_NAME[name]
        order = ", ".join(ddl.quote(k) for k in decl.key)
        return self.query(f"SELECT * FROM {ddl.quote(name)} ORDER BY {order}")

    def create_tables(self, tables: Sequence[Table]) -> None:
        """Create declared tables and their indexes where missing (idempotent; a capability's
        ``ensure_tables`` calls this until its migration has run)."""
        for decl in tables:
            self.execute(ddl.create_table(decl, self.dialect))
            for statement in ddl.create_indexes(decl):
                self.execute(statement)

    def count(self, name: str) -> int:
        from csqm.store.migrations import declared_table

        declared_table(name)  # only declared tables (KeyError otherwise)
        return int(self.scalar(f"SELECT count(*) FROM {ddl.quote(name)}"))

    # -- staging and merging (ingest) --------------------------------------------------------
    def create_stage(self, table: Table, name: str) -> None:
        """A temporary copy of ``table``'s columns plus ``_row`` (source row number)."""
        self.execute(f"DROP TABLE IF EXISTS {ddl.quote(name)}")
        self.execute(ddl.create_table(table, self.dialect, name=name, temporary=True))
        self.execute(f"ALTER TABLE {ddl.quote(name)} ADD COLUMN {ddl.quote('_row')} BIGINT")

    def merge_stage(
        self, table: Table, stage: str, *, columns: list[str] | None = None, insert_only: bool = False
    ) -> tuple[int, int]:
        """Upsert staged rows into ``table`` by its key; return (inserted, updated).

        Only ``columns`` (default: all) are written, so a file without some column leaves the stored
        values of that column alone. A row whose written data columns all equal the stored row is
        left untouched, so re-ingesting a file changes nothing and a corrected re-export updates
        only what changed.
        """
        present = set(columns or table.column_names) | set(table.key)
        if "batch_id" in table.column_names:
            present.add("batch_id")
        written = [c for c in table.column_names if c in present]
        t, s = ddl.quote(table.name), ddl.quote(stage)
        key_match = " AND ".join(f"t.{ddl.quote(k)} = s.{ddl.quote(k)}" for k in table.key)
        data = [c for c in table.data_columns if c in present and c not in table.key]
        updated = 0
        if data and not insert_only:
            others = [c for c in written if c not in table.key]
            assign = ", ".join(f"{ddl.quote(c)} = s.{ddl.quote(c)}" for c in others)
            differs = " OR ".join(f"t.{ddl.quote(c)} IS DISTINCT FROM s.{ddl.quote(c)}" for c in data)
            updated = self.execute(f"UPDATE {t} AS t SET {assign} FROM {s} AS s WHERE {key_match} AND ({differs})")
        cols = ", ".join(ddl.quote(c) for c in written)
        inserted = self.execute(
            f"INSERT INTO {t} ({cols}) SELECT {cols} FROM {s} AS s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {t} AS t WHERE {key_match})"
        )
        return inserted, updated


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
