"""One server process: the board gets alerts from this and other processes, the background step
runs timers, inspects queued conversations and delivers webhooks."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from csqm.realtime.engine import Processor
from csqm.realtime.runtime import Board, Runtime
from csqm.settings import Settings
from csqm.store import Store
from tests.realtime.conftest import Clock, ended, started, turn
from tests.realtime.test_webhook import Receiver
from tests.web.conftest import Api, make_api


@pytest.fixture
def app_api(settings: Settings, duck: Store) -> Iterator[Api]:
    yield from make_api(settings, duck)


@pytest.fixture
def both_api(settings: Settings, store: Store) -> Iterator[Api]:
    """The app on each engine."""
    yield from make_api(settings, store)


def test_board_numbers_alerts_once_and_resumes() -> None:
    from csqm.realtime.alerts import candidate

    board = Board(size=3)
    alerts = [candidate("k", f"s{i}", basis="b", severity="warning", message="m", evidence="") for i in range(4)]
    board.publish(alerts[:2])
    board.publish(alerts[:2])  # the same alerts again: ignored
    assert [n for n, _ in board.since(0)] == [1, 2] and board.last == 2
    board.publish(alerts[2:])
    assert [(n, a.subject_id) for n, a in board.since(2)] == [(3, "s2"), (4, "s3")]
    assert [n for n, _ in board.since(0)] == [2, 3, 4]  # the oldest fell off


def test_an_alert_that_fell_off_the_board_is_not_put_back_while_remembered() -> None:
    """Under load more alerts are stored in the background's look-back than the board holds; those
    that fell off were read again in full and put back every second (:meth:`Board.missing`)."""
    from csqm.realtime.alerts import candidate

    now = [0.0]
    board = Board(size=2, remember=60.0, clock=lambda: now[0])
    alerts = [candidate("k", f"s{i}", basis="b", severity="warning", message="m", evidence="") for i in range(4)]
    ids = [a.alert_id for a in alerts]
    board.publish(alerts[:3])  # s0 falls off
    assert [a.subject_id for _, a in board.since(0)] == ["s1", "s2"]
    assert board.missing(ids) == [ids[3]]  # s0 fell off but is remembered
    now[0] = 59.0
    board.publish(alerts[:1])  # not put back
    assert [n for n, _ in board.since(0)] == [2, 3] and board.last == 3
    now[0] = 61.0
    board.publish([])  # forgets what it was given over a minute ago and is not on it any more
    assert board.missing(ids) == [ids[0], ids[3]]
    board.publish(alerts[:1])
    assert [(n, a.subject_id) for n, a in board.since(0)] == [(3, "s2"), (4, "s0")]


def test_the_background_reads_in_full_only_the_alerts_missing_from_the_board(store: Store) -> None:
    from datetime import datetime

    from csqm.realtime.alerts import candidate, store_alerts, stored_since
    from csqm.realtime.tables import ensure_tables

    ensure_tables(store)
    at = datetime(2026, 1, 5, 9, 0, 0)
    alerts = [candidate("k", f"s{i}", basis="b", severity="warning", message=f"m{i}", evidence="") for i in range(3)]
    with store.transaction():
        store_alerts(store, alerts, now=at, window_seconds=60, webhook=False)
    asked: list[list[str]] = []

    def missing(ids: list[str]) -> list[str]:
        asked.append(ids)
        return [i for i in ids if i != alerts[1].alert_id]

    got = stored_since(store, at.replace(second=0, minute=59, hour=8), missing)
    assert sorted(asked[0]) == sorted(a.alert_id for a in alerts)
    assert sorted(a.message for a in got) == ["m0", "m2"]
    assert stored_since(store, at.replace(second=0, minute=59, hour=8), lambda ids: []) == []
    assert stored_since(store, at, missing) == []  # created after ``since`` only


def test_the_board_wakes_a_waiting_reader_from_another_thread() -> None:
    """The live board's stream waits on the board and is woken by a commit in the ingress thread
    (it used to look every 0.2 s, which was up to 200 ms of an alert's way to the board)."""
    from csqm.realtime.alerts import candidate

    board = Board()
    alert = candidate("k", "s1", basis="b", severity="warning", message="m", evidence="")

    async def read() -> None:
        with board.waiter() as published:
            published.clear()
            thread = threading.Thread(target=board.publish, args=([alert],))
            thread.start()
            await asyncio.wait_for(published.wait(), 10)  # woken, not timed out
            thread.join()
            assert [a.alert_id for _, a in board.since(0)] == [alert.alert_id]
            published.clear()
            board.publish([alert])  # nothing new: nobody is woken
            await asyncio.sleep(0.05)
            assert not published.is_set()
        assert not board._waiters  # the reader left: forgotten

    asyncio.run(read())


def test_background_step(app_api: Api, settings: Settings, clock: Clock) -> None:
    state: Any = app_api.client.app.state.csqm  # type: ignore[attr-defined]
    receiver = Receiver(failures=0)
    try:
        runtime = Runtime(state, clock=clock, webhook_url=receiver.url, webhook_secret=b"s3cret", interval=3600)
        runtime.start()  # from now on ended conversations are inspected by the step
        try:
            out = runtime.process([started("c1", team_id="T1"), turn("c1", 1, "customer", "我要投诉"), ended("c1")])
            assert out.queued == ["c1"] and out.inspected == []
            assert [a.kind for _, a in runtime.board.since(0)] == ["threat_words"]
            # an alert stored by another process (a NATS worker) reaches the board through the step
            other = Processor(state.store, settings=settings, clock=clock)
            other.process([started("c2"), turn("c2", 1, "customer", "找律师")])
            clock.advance(5)
            runtime.step()
            assert sorted(a.subject_id for _, a in runtime.board.since(0)) == ["c1", "c2"]
            background = runtime.status(state.store)["background"]
            assert background["running"] and background["steps"] == 1 and background["last_step_ms"] > 0
            assert background["last_step_at"] == clock.now.isoformat() + "Z"
            assert state.store.scalar('SELECT count(*) FROM "inspection_results" WHERE "interaction_id" = \'c1\'') == 1
            assert state.store.scalar('SELECT count(*) FROM "realtime_pending_inspections"') == 0
            assert len(receiver.requests) == 1  # c1's alert (c2's was stored without a webhook)
            status = state.store.scalar('SELECT "webhook_status" FROM "realtime_alerts" WHERE "subject_id" = \'c1\'')
            assert status == "sent"
        finally:
            runtime.stop()
    finally:
        receiver.close()


def _wait_for(condition: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_queued_conversations_are_inspected_on_the_background_connection(both_api: Api, clock: Clock) -> None:
    """While the ingress holds the store lock (here: the test holds it), the background step runs the
    timers and inspects queued conversations on its own connection; it takes the lock only for the
    short transaction that removes the inspected ones from the queue."""
    import threading

    state: Any = both_api.client.app.state.csqm  # type: ignore[attr-defined]
    runtime = Runtime(state, clock=clock, interval=0.02, inspect_chunk=4)  # chunks of 4, then 2
    threads: list[str] = []
    runtime.start()
    assert runtime.background is not None and runtime.background.store is not state.store
    tick = runtime.background.tick

    def spy(now: Any = None) -> Any:
        threads.append(threading.current_thread().name)
        return tick(now)

    runtime.background.tick = spy  # type: ignore[method-assign]
    try:
        ends = [[started(f"q{i}"), turn(f"q{i}", 1, "customer", "你好"), ended(f"q{i}")] for i in range(6)]
        outcome = runtime.submit([e for events in ends for e in events]).result(10)
        assert outcome.queued == [f"q{i}" for i in range(6)] and outcome.inspected == []
        reader = state.store.another_connection()

        def inspected() -> int:
            sql = 'SELECT count(*) FROM "inspection_results" WHERE "interaction_id" LIKE \'q%\''
            return int(reader.scalar(sql))

        try:
            with state.lock:  # as if a batch were being committed the whole time
                # the timers and a first chunk of inspections go on; only removing the chunk's queue
                # entries waits for the lock (a short transaction)
                assert _wait_for(lambda: inspected() == 4 and len(threads) >= 1)
                time.sleep(0.1)
                assert inspected() == 4
            assert _wait_for(lambda: inspected() == 6)  # the rest once the lock is free
            assert _wait_for(lambda: reader.scalar('SELECT count(*) FROM "realtime_pending_inspections"') == 0)
            assert _wait_for(lambda: len(threads) >= 2)
        finally:
            reader.close()
        assert set(threads) == {"csqm-realtime"}
    finally:
        runtime.stop()
    assert runtime.background is None  # its connection is closed


def test_step_needs_start(app_api: Api, clock: Clock) -> None:
    state: Any = app_api.client.app.state.csqm  # type: ignore[attr-defined]
    runtime = Runtime(state, clock=clock, interval=3600)
    with pytest.raises(RuntimeError, match="after start"):
        runtime.step()


def test_store_threads(both_api: Api, clock: Clock) -> None:
    """``store_threads`` sets the embedded store's threads for every connection of the process (the
    background's too); PostgreSQL ignores it; a count below 1 is refused."""
    state: Any = both_api.client.app.state.csqm  # type: ignore[attr-defined]
    store = state.store
    if store.dialect != "duckdb":  # nothing asked of the server: its parallelism stays as it was
        show = "SELECT current_setting('max_parallel_workers_per_gather')"
        before = store.scalar(show)
        runtime = Runtime(state, clock=clock, interval=3600, store_threads=1)
        assert store.scalar(show) == before
        with state.lock:
            out = runtime.processor.process([started("threads-1")])
        assert out.accepted == 1 and out.errors == []
        return
    runtime = Runtime(state, clock=clock, interval=3600, store_threads=1)
    assert store.scalar("SELECT current_setting('threads')") == 1
    runtime.start()
    try:
        background = runtime.background
        assert background is not None
        assert background.store.scalar("SELECT current_setting('threads')") == 1
    finally:
        runtime.stop()
    store.set_threads(2)
    assert store.scalar("SELECT current_setting('threads')") == 2
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="at least 1"):
            store.set_threads(bad)
    assert store.scalar("SELECT current_setting('threads')") == 2
