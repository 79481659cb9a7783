"""``Store.pipelined``: the same results as statement by statement, on both engines; on PostgreSQL,
statements sent without waiting, errors raised at the next read or the commit, nothing half-kept."""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any

import psycopg
import pyarrow as pa
import pytest

from csqm.store import Store

DDL = (
    'CREATE TABLE "pipe_t" ("k" TEXT PRIMARY KEY, "i" BIGINT, "f" DOUBLE PRECISION, "b" BOOLEAN, '
    '"ts" TIMESTAMP, "d" DATE, "n" TEXT)'
)
ROWS: list[tuple[Any, ...]] = [
    ("a", 1, 0.1, True, datetime(2026, 1, 5, 1, 30, 0, 123456), date(2026, 1, 5), None),
    ("b", None, None, None, None, None, None),
    ('c,"q"\n中文', -(2**40), 1e-300, False, datetime(1999, 12, 31, 23, 59, 59), date(2000, 2, 29), None),
]
SELECT = 'SELECT "k", "i", "f", "b", "ts", "d", "n" FROM "pipe_t" ORDER BY "k"'
#: Timestamps at the edges of the arithmetic that makes them on PostgreSQL from µs since 1970
#: (before 1970 with a fraction: a negative quotient and remainder; the last µs Python can hold).
EDGES = [
    datetime(1969, 12, 31, 23, 59, 59, 999999),
    datetime(1900, 1, 1, 0, 0, 0, 1),
    datetime(1, 1, 1, 0, 0, 0, 1),
    datetime(1970, 1, 1),
    datetime(9999, 12, 31, 23, 59, 59, 999999),
]


def _table(rows: list[tuple[Any, ...]]) -> pa.Table:
    types = [pa.string(), pa.int64(), pa.float64(), pa.bool_(), pa.timestamp("us"), pa.date32(), pa.string()]
    names = ["k", "i", "f", "b", "ts", "d", "n"]
    return pa.table({n: pa.array([r[j] for r in rows], t) for j, (n, t) in enumerate(zip(names, types, strict=True))})


def _stored(store: Store) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in store.rows(SELECT)]


def test_arrow_rows_stored_in_a_pipeline_equal_the_rows_given(store: Store) -> None:
    store.execute(DDL)
    with store.pipelined(), store.transaction():
        store.load_arrow("pipe_t", _table(ROWS))  # on PostgreSQL, not COPY: an INSERT of arrays
        store.execute('UPDATE "pipe_t" SET "n" = ? WHERE "k" = ?', ["set", "b"])
        # a read in the block sees what was sent before it
        assert store.rows('SELECT count(*) FROM "pipe_t"') == [(3,)]
    expected = sorted([ROWS[0], (*ROWS[1][:-1], "set"), ROWS[2]])
    assert _stored(store) == expected


def test_pipelined_rows_equal_the_rows_copied_outside(store: Store) -> None:
    store.execute(DDL)
    store.load_arrow("pipe_t", _table(ROWS))  # COPY on PostgreSQL
    copied = _stored(store)
    store.execute('DELETE FROM "pipe_t"')
    with store.pipelined(), store.transaction():
        store.load_arrow("pipe_t", _table(ROWS))
    assert _stored(store) == copied
    assert len(copied) == 3


def test_a_key_conflict_sent_in_a_pipeline_fails_the_commit_and_keeps_nothing(store: Store) -> None:
    store.execute(DDL)
    store.load_arrow("pipe_t", _table(ROWS[:1]))
    with pytest.raises(Exception) as caught, store.pipelined(), store.transaction():
        store.load_arrow("pipe_t", _table(ROWS[1:2]))  # fine on its own
        store.load_arrow("pipe_t", _table(ROWS[:1]))  # "a" again: the primary key
        store.execute('UPDATE "pipe_t" SET "n" = ? WHERE "k" = ?', ["lost", "a"])
    assert store.is_key_conflict(caught.value)
    assert _stored(store) == [ROWS[0]]  # nothing of the failed transaction
    # the connection goes on, in a pipeline and outside one
    with store.pipelined(), store.transaction():
        store.load_arrow("pipe_t", _table(ROWS[1:2]))
    with store.transaction():
        store.load_arrow("pipe_t", _table(ROWS[2:]))
    assert _stored(store) == ROWS


def test_an_error_raised_at_a_read_rolls_back_and_the_connection_goes_on(store: Store) -> None:
    store.execute(DDL)
    with pytest.raises(Exception) as caught, store.pipelined(), store.transaction():
        store.load_arrow("pipe_t", _table(ROWS[:1]))
        store.load_arrow("pipe_t", _table(ROWS[:1]))
        store.rows('SELECT count(*) FROM "pipe_t"')  # the conflict surfaces here on PostgreSQL
        store.execute('UPDATE "pipe_t" SET "n" = ?', ["never"])
    assert store.is_key_conflict(caught.value)
    assert _stored(store) == []
    with store.pipelined(), store.transaction():
        store.load_arrow("pipe_t", _table(ROWS))
    assert _stored(store) == ROWS


def test_a_python_error_with_statements_in_flight_keeps_nothing(store: Store) -> None:
    store.execute(DDL)
    with pytest.raises(RuntimeError), store.pipelined(), store.transaction():
        store.load_arrow("pipe_t", _table(ROWS))
        raise RuntimeError("boom")
    assert _stored(store) == []
    with store.pipelined(), store.transaction():
        store.load_arrow("pipe_t", _table(ROWS))
    assert _stored(store) == ROWS


def test_a_python_error_beside_a_failed_statement_in_flight_is_the_one_raised(pg: Store) -> None:
    """On PostgreSQL the conflict is not known when the Python error is raised; the rollback
    meets it, and the server's skipping of that rollback must not leave the transaction open."""
    pg.execute(DDL)
    pg.load_arrow("pipe_t", _table(ROWS[:1]))
    with pytest.raises(RuntimeError, match="boom"), pg.pipelined(), pg.transaction():
        pg.load_arrow("pipe_t", _table(ROWS[:1]))
        raise RuntimeError("boom")
    assert _stored(pg) == [ROWS[0]]
    with pg.pipelined(), pg.transaction():
        pg.load_arrow("pipe_t", _table(ROWS[1:]))
    assert _stored(pg) == ROWS


@pytest.mark.parametrize("ending", ["commit", "rollback"])
def test_a_failure_already_answered_when_the_transaction_ends_is_handled_alike(pg: Store, ending: str) -> None:
    """psycopg raises a pipelined statement's error at whichever call reads its answer: the sync,
    or the COMMIT / ROLLBACK itself when the answer arrived before it was sent (the pause makes sure
    of that here; CI met it by chance once). Either way: that error, or the Python one, is raised,
    and the transaction is rolled back, not left open."""
    pg.execute(DDL)
    pg.load_arrow("pipe_t", _table(ROWS[:1]))
    expected: type[BaseException] = psycopg.errors.UniqueViolation if ending == "commit" else RuntimeError
    with pytest.raises(expected), pg.pipelined(), pg.transaction():
        pg.load_arrow("pipe_t", _table(ROWS[:1]))
        time.sleep(0.2)  # the conflict's answer is in the socket before the transaction ends
        if ending == "rollback":
            raise RuntimeError("boom")
    assert _stored(pg) == [ROWS[0]]
    with pg.pipelined(), pg.transaction():
        pg.load_arrow("pipe_t", _table(ROWS[1:]))
    assert _stored(pg) == ROWS


def test_postgres_waits_for_answers_only_at_reads_and_the_commit(pg: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the pipeline: each wait for the server lets go of the interpreter lock, and taking it
    back costs up to the switch interval in a busy process (module doc of the PostgreSQL store)."""
    pg.execute(DDL)
    syncs = 0
    sync = psycopg.Pipeline.sync

    def counted(self: psycopg.Pipeline) -> None:
        nonlocal syncs
        syncs += 1
        sync(self)

    monkeypatch.setattr(psycopg.Pipeline, "sync", counted)
    conn: psycopg.Connection[Any] = pg.conn  # type: ignore[attr-defined]
    with pg.pipelined(), pg.transaction():
        assert conn.pgconn.pipeline_status == psycopg.pq.PipelineStatus.ON
        for i in range(10):
            pg.load_arrow("pipe_t", _table([(f"k{i}", i, None, None, None, None, None)]))
            pg.execute('UPDATE "pipe_t" SET "n" = ? WHERE "k" = ?', ["x", f"k{i}"])
        assert syncs == 0  # twenty statements sent, none answered yet
        assert pg.rows('SELECT count(*) FROM "pipe_t"') == [(10,)]
        assert syncs == 1
    assert syncs == 2  # the commit
    assert conn.pgconn.pipeline_status == psycopg.pq.PipelineStatus.OFF
    assert pg.rows('SELECT count(*) FROM "pipe_t" WHERE "n" = ?', ["x"]) == [(10,)]


def test_pipelines_nest(pg: Store) -> None:
    pg.execute(DDL)
    with pg.pipelined(), pg.pipelined(), pg.transaction():
        pg.load_arrow("pipe_t", _table(ROWS))
    assert _stored(pg) == ROWS


def test_an_arrow_type_without_a_postgres_array_is_a_clear_error(pg: Store) -> None:
    pg.execute(DDL)
    data = pa.table({"k": pa.array(["x"]), "i": pa.array([[1, 2]], pa.list_(pa.int64()))})
    with pytest.raises(TypeError, match="no PostgreSQL array type for Arrow type list"):  # noqa: SIM117
        with pg.pipelined(), pg.transaction():
            pg.load_arrow("pipe_t", data)
    assert _stored(pg) == []


def test_timestamps_at_the_edges_are_stored_to_the_microsecond(store: Store) -> None:
    store.execute(DDL)
    rows: list[tuple[Any, ...]] = [(f"e{i}", None, None, None, t, None, None) for i, t in enumerate(EDGES)]
    with store.pipelined(), store.transaction():
        store.load_arrow("pipe_t", _table(rows))
    assert [r[4] for r in _stored(store)] == EDGES
