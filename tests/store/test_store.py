"""The store on both engines: schema, migrations, staged merge, atomicity, busy file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from csqm.errors import ConfigError, StoreBusyError
from csqm.settings import Settings
from csqm.store import TABLES, Store, open_store
from csqm.store.migrations import LATEST, capability_tables
from csqm.store.schema import table


def test_every_table_exists_with_declared_columns(store: Store) -> None:
    assert store.schema_version() == LATEST
    for decl in (*TABLES, *capability_tables()):
        frame = store.query(f'SELECT * FROM "{decl.name}" LIMIT 0')
        assert list(frame.columns) == list(decl.column_names), decl.name


def test_migrate_twice_is_a_no_op(store: Store) -> None:
    assert store.migrate() == []
    assert store.schema_version() == LATEST


def _stage_agents(store: Store, rows: list[tuple[str, str | None, str | None]]) -> tuple[int, int]:
    decl = table("agents")
    store.create_stage(decl, "_s")
    data = pa.table(
        {
            "agent_id": [r[0] for r in rows],
            "team_id": [r[1] for r in rows],
            "name": [r[2] for r in rows],
            "batch_id": ["b1"] * len(rows),
            "_row": list(range(1, len(rows) + 1)),
        }
    )
    store.load_arrow("_s", data)
    with store.transaction():
        result = store.merge_stage(decl, "_s", columns=["agent_id", "team_id", "name"])
    store.execute('DROP TABLE "_s"')
    return result


def test_merge_inserts_then_is_idempotent_then_updates_changed_rows(store: Store) -> None:
    rows = [("a1", "t1", "Ann"), ("a2", "t1", None), ("a3", "t2", "Cai")]
    assert _stage_agents(store, rows) == (3, 0)
    assert _stage_agents(store, rows) == (0, 0)
    # a corrected re-export: a2 gets a name, a3 moves team; a null stays equal to a null
    assert _stage_agents(store, [("a1", "t1", "Ann"), ("a2", "t1", "Bo"), ("a3", "t3", "Cai")]) == (0, 2)
    got = store.table("agents")
    assert got["name"].tolist() == ["Ann", "Bo", "Cai"]
    assert got["team_id"].tolist() == ["t1", "t1", "t3"]


def test_columns_absent_from_the_input_are_left_alone(store: Store) -> None:
    _stage_agents(store, [("a1", "t1", "Ann")])
    decl = table("agents")
    store.create_stage(decl, "_s2")
    store.load_arrow("_s2", pa.table({"agent_id": ["a1"], "role": ["expert"], "_row": [1]}))
    with store.transaction():
        assert store.merge_stage(decl, "_s2", columns=["agent_id", "role"]) == (0, 1)
    row = store.table("agents").iloc[0]
    assert (row["name"], row["role"]) == ("Ann", "expert")


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.execute('INSERT INTO "centres" ("centre_id", "name") VALUES (?, ?)', ("c1", "x"))
        raise RuntimeError("boom")
    assert store.count("centres") == 0


def test_timestamps_round_trip_as_utc_naive(store: Store) -> None:
    stamp = pd.Timestamp("2026-01-05 01:30:00")
    store.execute(
        'INSERT INTO "kb_events" ("event_id", "event", "occurred_at") VALUES (?, ?, ?)',
        ("e1", "view", stamp.to_pydatetime()),
    )
    got = pd.Timestamp(store.scalar('SELECT "occurred_at" FROM "kb_events"'))
    assert got == stamp


def test_unknown_url_scheme_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="Unsupported store URL"):
        open_store("mysql://x/y", settings=settings)


def test_busy_embedded_store_names_the_holder(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "busy.duckdb"
    url = f"duckdb:///{path}"
    open_store(url, settings=settings).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(path)!r})
                print("ready", flush=True)
                time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        with pytest.raises(StoreBusyError) as info:
            open_store(url, settings=settings)
        assert time.monotonic() - started < 10
        assert info.value.pid == holder.pid
        message = str(info.value)
        assert f"process {holder.pid}" in message and "busy" in message and "PostgreSQL" in message
    finally:
        holder.kill()
        holder.wait()
    open_store(url, settings=settings).close()  # free again once the holder is gone
