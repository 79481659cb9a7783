"""PostgreSQL store: the same schema on a server, for teams and concurrent use.

URL: ``postgresql://user@host:port/db``; an optional ``?schema=name`` puts CSQM's tables in their own
schema (created if missing), which is how the tests isolate themselves.

Pipeline mode (:meth:`PostgresStore.pipelined`): the real-time ingress sends a batch's ~11 statements
without waiting for each answer, and waits only where it reads rows and at the commit (4.9 waits a
batch instead of 11.4). Waiting costs more than the round trip: psycopg lets go of Python's
interpreter lock while it waits, and a thread that wants it back waits for the thread holding it
to yield, up to the switch interval (5 ms); in the server the HTTP loop and the background thread
hold it meanwhile. COPY cannot run in a pipeline, so appends there are one ``INSERT … SELECT FROM
unnest`` of the columns bound as binary arrays (text arrays cost psycopg 4.5× more to dump).
Measured on the 2-core machine (``benchmarks/pg_pipeline.py``, docs/benchmarks.md, session 8): a
transaction of ten 20-row appends takes 14.8 ms one by one and 5.5 ms pipelined, and beside a
thread that runs Python without pause, 295 against 43 ms; a real-time batch of 60 events in
process (``benchmarks/realtime_batch.py --store postgres``) 0.80–0.87 of its time one by one.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator, Sequence
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


#: A timestamp bound as its microseconds since 1970 and made again by PostgreSQL, exactly (whole
#: seconds and the rest, each product exact; one product of all the µs would round beyond 2^53 µs).
_FROM_MICROS = (  # %%: a literal % among psycopg's placeholders
    "'epoch'::timestamp + ({0} / 1000000) * interval '1 second' + ({0} %% 1000000) * interval '1 microsecond'"
)


def _bindable(column: pa.ChunkedArray) -> tuple[str, str, list[Any]]:
    """How to bind an Arrow column as one array: its PostgreSQL element type, the SQL making the
    stored value of an element (``{0}``), and the values. Timestamps without a zone, in µs, go as
    integers: making Python datetimes of them costs 1.6 µs each, 8x the rest of a row of events."""
    if column.type == pa.timestamp("us"):
        return "bigint", _FROM_MICROS, column.cast(pa.int64()).to_pylist()
    return _array_type(column.type), "{0}", column.to_pylist()


def _array_type(type_: pa.DataType) -> str:
    """The PostgreSQL type of an Arrow column's values, to bind the column as one array."""
    if pa.types.is_string(type_) or pa.types.is_large_string(type_):
        return "text"
    if pa.types.is_integer(type_):
        return "bigint"
    if pa.types.is_floating(type_):
        return "double precision"
    if pa.types.is_boolean(type_):
        return "boolean"
    if pa.types.is_timestamp(type_):
        return "timestamptz" if type_.tz else "timestamp"  # type: ignore[attr-defined]
    if pa.types.is_date(type_):
        return "date"
    raise TypeError(f"no PostgreSQL array type for Arrow type {type_}")


_PLACEHOLDER = re.compile(r"\?(?=(::[A-Za-z][A-Za-z ]*\[\])?)")


def _pg_sql(sql: str, params: Sequence[Any]) -> str:
    """Our generated SQL with psycopg's placeholders: it uses ``?`` and never a literal ``?``.
    A ``?::type[]`` bound to a list is bound in binary (``%b``): psycopg dumps a list that way 4.5×
    faster than as text, and the cast names the type, so the server need not infer it. Any other
    ``?`` is ``%s``. (psycopg refuses a list mixing Python types either way.)"""
    values = iter(params)

    def placeholder(match: re.Match[str]) -> str:
        value = next(values, None)
        return "%b" if match.group(1) and isinstance(value, list) else "%s"

    return _PLACEHOLDER.sub(placeholder, sql.replace("%", "%%"))


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
        self._pipeline: psycopg.Pipeline | None = None

    def another_connection(self) -> PostgresStore:
        """A new connection to the same database and schema."""
        return PostgresStore(self.url)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """See :meth:`Store.execute`; in a pipeline (:meth:`pipelined`) the count is not known yet: -1."""
        with self.conn.cursor() as cur:
            cur.execute(_pg_sql(sql, params) if params else sql, list(params) or None)
            return cur.rowcount

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        with self.conn.cursor() as cur:
            cur.execute(_pg_sql(sql, params) if params else sql, list(params) or None)
            self._answer()
            names = [d.name for d in cur.description or ()]
            return pd.DataFrame(cur.fetchall(), columns=names)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query as plain tuples: for small hot-path lookups, where building a
        DataFrame costs more than the query itself."""
        with self.conn.cursor() as cur:
            cur.execute(_pg_sql(sql, params) if params else sql, list(params) or None)
            self._answer()
            return list(cur.fetchall()) if cur.description else []

    def _answer(self) -> None:
        """In a pipeline, wait for the answers to what was sent (a query's description and rows
        come with them; an error of any statement sent before is raised here)."""
        if self._pipeline is not None:
            self._pipeline.sync()

    def load_arrow(self, name: str, data: pa.Table) -> None:
        """COPY, or in a pipeline (where COPY cannot run) one ``INSERT … SELECT FROM unnest`` of
        the columns bound as arrays (a column of nulls only is left out: it is null either way)."""
        if data.num_rows == 0:
            return
        if self._pipeline is not None:
            kept = [
                (c, col) for c, col in zip(data.column_names, data.columns, strict=True) if col.null_count < len(col)
            ]
            cols = ", ".join(ddl.quote(c) for c, _ in kept)
            bound = [_bindable(col) for _, col in kept]
            arrays = ", ".join(f"%b::{kind}[]" for kind, _, _ in bound)  # binary: 4.5x cheaper to dump
            values = ", ".join(expr.format(f"u.c{i}") for i, (_, expr, _) in enumerate(bound))
            names = ", ".join(f"c{i}" for i in range(len(bound)))
            with self.conn.cursor() as cur:
                cur.execute(
                    f"INSERT INTO {ddl.quote(name)} ({cols}) SELECT {values} FROM unnest({arrays}) AS u({names})",
                    [listed for _, _, listed in bound],
                )
            return
        buffer = io.BytesIO()
        pacsv.write_csv(data, buffer, pacsv.WriteOptions(include_header=False))
        cols = ", ".join(ddl.quote(c) for c in data.column_names)
        statement = f"COPY {ddl.quote(name)} ({cols}) FROM STDIN WITH (FORMAT csv)"
        with self.conn.cursor() as cur, cur.copy(statement) as copy:
            copy.write(buffer.getvalue())

    def analyze(self, name: str) -> None:
        self.execute(f"ANALYZE {ddl.quote(name)}")

    def is_key_conflict(self, exc: BaseException) -> bool:
        return isinstance(exc, psycopg.errors.UniqueViolation)

    def begin(self) -> None:
        self.conn.execute("BEGIN")

    def commit(self) -> None:
        self._end("COMMIT", raise_errors=True)

    def rollback(self) -> None:
        self._end("ROLLBACK", raise_errors=False)  # rolling back because of an exception already: that one is raised

    def _end(self, statement: str, *, raise_errors: bool) -> None:
        """COMMIT or ROLLBACK; in a pipeline, also wait for the answers of what was sent. psycopg
        raises a failed statement's error at whichever call reads its answer: the sync, or this
        statement itself if the answer arrived before it. The server then skipped the rest (this
        statement included) and holds the transaction aborted, not ended: sync (psycopg refuses
        statements in an aborted pipeline until then) and roll it back. (Had the COMMIT itself
        failed, it ended it, and the ROLLBACK only draws a warning.)"""
        if self._pipeline is None:
            self.conn.execute(statement)
            return
        try:
            self.conn.execute(statement)
            self._pipeline.sync()
        except psycopg.Error:
            with contextlib.suppress(psycopg.Error):  # the error's own answers, if still unread
                self._pipeline.sync()
            self.conn.execute("ROLLBACK")
            self._pipeline.sync()
            if raise_errors:
                raise

    @contextlib.contextmanager
    def pipelined(self) -> Iterator[None]:
        """See :meth:`Store.pipelined` and the module doc. Nested blocks share the outer pipeline."""
        if self._pipeline is not None:
            yield
            return
        with self.conn.pipeline() as pipeline:
            self._pipeline = pipeline
            try:
                yield
            finally:
                self._pipeline = None

    def close(self) -> None:
        self.conn.close()

    def drop_schema(self) -> None:
        """Remove this store's schema and everything in it (used by tests)."""
        if self.schema:
            self.conn.execute(f"DROP SCHEMA IF EXISTS {ddl.quote(self.schema)} CASCADE")
