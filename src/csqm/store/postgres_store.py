"""PostgreSQL store: the same schema on a server, for teams and concurrent use.

URL: ``postgresql://user@host:port/db``; an optional ``?schema=name`` puts CSQM's tables in their own
schema (created if missing), which is how the tests isolate themselves.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv

from csqm.errors import StoreError
from csqm.store import ddl
from csqm.store.base import Store


def _split_schema(url: str) -> tuple[str, str | None]:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    schema = query.pop("schema", None)
    return urlunsplit(parts._replace(query=urlencode(query))), schema


def _pg_sql(sql: str) -> str:
    # Our generated SQL uses '?' placeholders and never a literal '?'; psycopg wants %s.
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresStore(Store):
    dialect: ddl.Dialect = "postgres"

    def __init__(self, url: str) -> None:
        self.url = url
        conninfo, schema = _split_schema(url.replace("postgresql+psycopg://", "postgresql://"))
        try:
            self.conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            host = urlsplit(conninfo).hostname or "localhost"
            raise StoreError(f"Cannot connect to PostgreSQL at {host}: {str(exc).splitlines()[0]}") from None
        self.schema = schema
        if schema:
            self.conn.execute(f"CREATE SCHEMA IF NOT EXISTS {ddl.quote(schema)}")
            self.conn.execute(f"SET search_path TO {ddl.quote(schema)}")

    def another_connection(self) -> PostgresStore:
        """A new connection to the same database and schema."""
        return PostgresStore(self.url)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.conn.cursor() as cur:
            cur.execute(_pg_sql(sql) if params else sql, list(params) or None)
            return cur.rowcount

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        with self.conn.cursor() as cur:
            cur.execute(_pg_sql(sql) if params else sql, list(params) or None)
            names = [d.name for d in cur.description or ()]
            return pd.DataFrame(cur.fetchall(), columns=names)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query as plain tuples: for small hot-path lookups, where building a
        DataFrame costs more than the query itself."""
        with self.conn.cursor() as cur:
            cur.execute(_pg_sql(sql) if params else sql, list(params) or None)
            return list(cur.fetchall()) if cur.description else []

    def load_arrow(self, name: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        buffer = io.BytesIO()
        pacsv.write_csv(data, buffer, pacsv.WriteOptions(include_header=False))
        cols = ", ".join(ddl.quote(c) for c in data.column_names)
        statement = f"COPY {ddl.quote(name)} ({cols}) FROM STDIN WITH (FORMAT csv)"
        with self.conn.cursor() as cur, cur.copy(statement) as copy:
            copy.write(buffer.getvalue())

    def begin(self) -> None:
        self.conn.execute("BEGIN")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()

    def drop_schema(self) -> None:
        """Remove this store's schema and everything in it (used by tests)."""
        if self.schema:
            self.conn.execute(f"DROP SCHEMA IF EXISTS {ddl.quote(self.schema)} CASCADE")
