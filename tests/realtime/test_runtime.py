"""One server process: the board gets alerts from this and other processes, the background step
runs timers, inspects queued conversations and delivers webhooks."""

from __future__ import annotations

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
            assert state.store.scalar('SELECT count(*) FROM "inspection_results" WHERE "interaction_id" = \'c1\'') == 1
            assert state.store.scalar('SELECT count(*) FROM "realtime_pending_inspections"') == 0
            assert len(receiver.requests) == 1  # c1's alert (c2's was stored without a webhook)
            status = state.store.scalar('SELECT "webhook_status" FROM "realtime_alerts" WHERE "subject_id" = \'c1\'')
            assert status == "sent"
        finally:
            runtime.stop()
    finally:
        receiver.close()


def test_the_committer_inspects_queued_conversations_when_the_ingress_is_quiet(app_api: Api, clock: Clock) -> None:
    state: Any = app_api.client.app.state.csqm  # type: ignore[attr-defined]
    runtime = Runtime(state, clock=clock, interval=3600)  # the background step never runs here
    runtime.start()
    try:
        ends = [[started(f"q{i}"), turn(f"q{i}", 1, "customer", "你好"), ended(f"q{i}")] for i in range(6)]
        outcome = runtime.submit([e for events in ends for e in events]).result(10)
        assert outcome.queued == [f"q{i}" for i in range(6)] and outcome.inspected == []

        def inspected() -> int:
            with state.lock:
                return int(
                    state.store.scalar('SELECT count(*) FROM "inspection_results" WHERE "interaction_id" LIKE \'q%\'')
                )

        for _ in range(500):  # chunks of 4, then 2: between commits, no request arriving
            if inspected() == 6:
                break
            time.sleep(0.01)
        assert inspected() == 6
        with state.lock:
            assert state.store.scalar('SELECT count(*) FROM "realtime_pending_inspections"') == 0
    finally:
        runtime.stop()


def test_while_events_arrive_the_committer_runs_the_timers(app_api: Api, clock: Clock) -> None:
    import threading

    state: Any = app_api.client.app.state.csqm  # type: ignore[attr-defined]
    runtime = Runtime(state, clock=clock, interval=3600)  # the background step never runs here
    ticks: list[str] = []
    tick = runtime.processor.tick

    def spy(now: Any = None) -> Any:
        out = tick(now)
        ticks.append(threading.current_thread().name)  # once the alerts are on the board
        return out

    runtime.processor.tick = spy  # type: ignore[method-assign]
    runtime.start()
    try:
        assert runtime.submit([started("t1", channel="chat")]).result(10).accepted == 1
        assert ticks == []  # not due yet
        clock.advance(40)  # the chat waits 40 s without an agent turn
        runtime._ticked_at -= 7200  # a period has passed
        assert runtime.submit([turn("t1", 1, "customer", "在吗")]).result(10).accepted == 1
        for _ in range(500):
            if ticks:
                break
            time.sleep(0.01)
        assert ticks == ["csqm-ingress"]
        assert [a.kind for _, a in runtime.board.since(0)] == ["chat_sla"]
    finally:
        runtime.stop()
