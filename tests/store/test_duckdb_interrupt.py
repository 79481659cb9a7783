"""Ctrl-C during a DuckDB query is a KeyboardInterrupt for the caller (DuckDB reports it as its own
error), so the open transaction rolls back and the CLI says "Interrupted" instead of reporting an
unexpected error."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from csqm.store.duckdb_store import DuckDBStore

SLOW = "SELECT sum(a.range * b.range) FROM range(200000) AS a, range(200000) AS b"


def _with_row(path: Path) -> DuckDBStore:
    store = DuckDBStore(path)
    store.execute("CREATE TABLE t (x INTEGER)")
    store.execute("INSERT INTO t VALUES (1)")
    return store


def test_interrupting_the_connection_raises_keyboard_interrupt_and_rolls_back(tmp_path: Path) -> None:
    store = _with_row(tmp_path / "s.duckdb")
    timer = threading.Timer(0.3, store.con.interrupt)
    timer.start()
    with pytest.raises(KeyboardInterrupt), store.transaction():
        store.execute("INSERT INTO t VALUES (2)")
        store.execute(SLOW)
    timer.join()
    assert store.rows("SELECT x FROM t ORDER BY x") == [(1,)]  # the insert of 2 was rolled back
    store.close()


class _Interrupted:
    """A connection whose query fails as DuckDB fails one that Ctrl-C interrupted (a SIGINT to the
    process during a statement; observed in `csqm ingest` during the merge), or with another error."""

    def __init__(self, message: str) -> None:
        self.message = message

    def execute(self, sql: str, params: list[object]) -> None:
        raise RuntimeError(self.message)


def test_duckdb_query_interrupted_error_is_a_keyboard_interrupt(tmp_path: Path) -> None:
    store = _with_row(tmp_path / "s.duckdb")
    real = store.con
    store.con = _Interrupted("Query interrupted")  # type: ignore[assignment]
    with pytest.raises(KeyboardInterrupt):
        store.execute("SELECT 1")
    with pytest.raises(KeyboardInterrupt):
        store.rows("SELECT 1")
    store.con = _Interrupted("something else broke")  # type: ignore[assignment]
    with pytest.raises(RuntimeError, match="something else broke"):
        store.query("SELECT 1")
    store.con = real
    store.close()
