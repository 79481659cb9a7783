"""On PostgreSQL a batch's statements go out in a pipeline: the processor waits for the server only
where it reads rows and at the commit (csqm.store.postgres_store), with the same stored result."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from csqm.realtime.engine import Processor
from csqm.settings import Settings
from csqm.store import Store
from tests.realtime.conftest import Clock, ended, queue, started, turn


def _batch(cid: str) -> list[dict[str, Any]]:
    return [
        queue("offered", f"{cid}-k", 0),
        started(cid),
        turn(cid, 1, "agent", "您好，请问有什么可以帮您？"),
        turn(cid, 2, "customer", "我要投诉，你们在欺骗消费者，电话 13812345678"),
        ended(cid, utterances=2),
    ]


def test_a_batch_on_postgres_waits_for_the_server_a_few_times_not_once_per_statement(
    pg: Store, settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    proc = Processor(pg, settings=settings, clock=clock)
    proc.inline_inspection = False
    proc.process(_batch("warm"))
    statements = syncs = 0
    execute, rows, load, sync = type(pg).execute, type(pg).rows, type(pg).load_arrow, psycopg.Pipeline.sync

    def counted(method: Any) -> Any:
        def call(self: Any, *args: Any) -> Any:
            nonlocal statements
            statements += 1
            return method(self, *args)

        return call

    def counted_sync(self: psycopg.Pipeline) -> None:
        nonlocal syncs
        syncs += 1
        sync(self)

    monkeypatch.setattr(type(pg), "execute", counted(execute))
    monkeypatch.setattr(type(pg), "rows", counted(rows))
    monkeypatch.setattr(type(pg), "load_arrow", counted(load))
    monkeypatch.setattr(psycopg.Pipeline, "sync", counted_sync)
    out = proc.process(_batch("c1"))
    assert out.accepted == 5 and [a.kind for a in out.alerts if a.kind.startswith("threat")]
    assert statements >= 10, statements  # lock, ids, queue, appends, update, alerts' check, …
    assert 1 <= syncs <= statements // 2, (syncs, statements)
    stored = pg.rows('SELECT "pii_kinds", "text" FROM "utterances" WHERE "interaction_id" = ? ORDER BY "seq"', ["c1"])
    assert len(stored) == 2 and "13812345678" not in stored[1][1]  # masked, as ever
    assert pg.rows('SELECT count(*) FROM "realtime_events" WHERE "subject_id" IN (?, ?)', ["c1", "c1-k"]) == [(5,)]


def test_a_batch_that_fails_on_postgres_keeps_nothing_and_the_next_goes_on(
    pg: Store, settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error raised after statements went out unanswered: the transaction is rolled back, not
    left open on the connection."""
    proc = Processor(pg, settings=settings, clock=clock)
    proc.inline_inspection = False

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("alerts could not be stored")

    monkeypatch.setattr("csqm.realtime.engine.store_alerts", broken)
    with pytest.raises(RuntimeError, match="alerts could not be stored"):
        proc.process(_batch("c1"))
    monkeypatch.undo()
    assert pg.rows('SELECT count(*) FROM "realtime_events"') == [(0,)]
    assert pg.rows('SELECT count(*) FROM "interactions"') == [(0,)]
    out = proc.process(_batch("c1"))
    assert out.accepted == 5 and out.errors == []
    assert pg.rows('SELECT count(*) FROM "realtime_events"') == [(5,)]
