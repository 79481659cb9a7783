"""Ended conversations are inspected from the turns kept in memory (no read-back) when this process
saw them start, and read back otherwise; either way the stored results equal `csqm inspect`'s."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from csqm.generate import generate
from csqm.inspection import inspect
from csqm.realtime.engine import Processor
from csqm.realtime.replay import load_schedule, stamped
from csqm.settings import Settings
from csqm.store import Store
from tests.realtime.conftest import T0, Clock, ended, started, turn
from tests.realtime.test_incremental_equals_batch import snapshot


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rtmem")
    generate(out, interactions=50, seed=23)
    return out


def _events(demo: Path) -> list[dict[str, object]]:
    return [e for _, e in stamped(load_schedule(demo, every=2.0), T0, speed=1.0)]


def _assert_equals_batch(proc: Processor) -> None:
    live_results, live_findings = snapshot(proc)
    n = proc.store.scalar('SELECT count(DISTINCT "interaction_id") FROM "utterances"')
    assert len(live_results) == n >= 30
    assert inspect(proc.store, force=True).inspected == n
    batch_results, batch_findings = snapshot(proc)
    pd.testing.assert_frame_equal(live_results, batch_results)
    pd.testing.assert_frame_equal(live_findings, batch_findings)


def test_cached_worker_state_gives_the_batch_results(store: Store, settings: Settings, demo: Path) -> None:
    """As a NATS worker runs (state cached between batches), on both engines."""
    proc = Processor(store, settings=settings, clock=Clock(), cache=True)
    events = _events(demo)
    inspected: list[str] = []
    for start in range(0, len(events), 29):
        out = proc.process(events[start : start + 29])
        assert out.errors == [] and out.deferred == []
        inspected += out.inspected
    assert len(inspected) == len(set(inspected)) >= 30
    _assert_equals_batch(proc)


def test_restart_mid_stream_reads_the_turns_back(store: Store, settings: Settings, demo: Path) -> None:
    """A second processor (a restarted or new worker) continues conversations it did not see start:
    it has no turns in memory for them and reads them back; the results are still the batch ones."""
    events = _events(demo)
    half = len(events) // 2
    first = Processor(store, settings=settings, clock=Clock(), cache=True)
    for start in range(0, half, 31):
        assert first.process(events[start : min(start + 31, half)]).errors == []
    second = Processor(store, settings=settings, clock=Clock(), cache=True)
    for start in range(half, len(events), 31):
        assert second.process(events[start : start + 31]).errors == []
    _assert_equals_batch(second)


def test_memory_is_released_at_the_end_and_a_late_turn_reinspects(store: Store, settings: Settings) -> None:
    proc = Processor(store, settings=settings, clock=Clock(), cache=True)
    out = proc.process([started("m1"), turn("m1", 1, "customer", "你好"), ended("m1")])
    assert out.inspected == ["m1"]
    assert proc._cache["m1"].turns is None  # the ended conversation's text is not kept
    out = proc.process([turn("m1", 2, "agent", "这不归我管", t=200)])
    assert out.inspected == ["m1"]
    rules = set(store.query('SELECT "rule_id" FROM "inspection_findings" WHERE "interaction_id" = \'m1\'')["rule_id"])
    assert "zh.forbidden.shirking" in rules
    before = snapshot(proc)
    assert inspect(store, force=True).inspected == 1
    after = snapshot(proc)
    pd.testing.assert_frame_equal(before[0], after[0])
    pd.testing.assert_frame_equal(before[1], after[1])


def test_failed_batch_drops_the_cached_state(store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache is changed in place during a batch; a failure anywhere (the commit included) must
    drop it, or the next batch would believe in turns that were rolled back."""
    proc = Processor(store, settings=settings, clock=Clock(), cache=True)
    proc.process([started("f1"), turn("f1", 1, "customer", "你好")])
    assert "f1" in proc._cache

    def broken() -> None:
        raise RuntimeError("commit failed")

    monkeypatch.setattr(store, "commit", broken)
    with pytest.raises(RuntimeError):
        proc.process([turn("f1", 2, "agent", "您好")])
    monkeypatch.undo()
    store.rollback()
    assert proc._cache == {}
    out = proc.process([turn("f1", 2, "agent", "您好")])  # not "already received": it was rolled back
    assert out.accepted == 1 and out.errors == []


def test_warm_up_stores_nothing(store: Store, settings: Settings) -> None:
    """Workers warm the detectors up before their first batch; that must leave no trace."""
    proc = Processor(store, settings=settings, clock=Clock(), cache=True)
    proc.warm_up()
    for table in ("interactions", "utterances", "inspection_results", "realtime_events", "realtime_alerts"):
        assert store.count(table) == 0, table
    assert proc._cache == {}
    out = proc.process([started("w1"), turn("w1", 1, "customer", "我要投诉"), ended("w1")])
    assert out.errors == [] and out.inspected == ["w1"] and [a.kind for a in out.alerts] == ["threat_words"]


def test_the_server_hands_ended_conversations_to_the_background(store: Store, settings: Settings, demo: Path) -> None:
    """As ``csqm realtime serve`` runs: ended conversations are queued, and the background thread
    inspects them on its own connection from the turns the ingress handed over (nothing read back),
    with the batch results."""
    import threading

    proc = Processor(store, settings=settings, clock=Clock(), cache=True)  # the embedded store's default
    proc.inline_inspection = False
    background = proc.on(store.another_connection())
    read_back: list[str] = []
    real = background._inspect

    def spy(ids: list[str]) -> None:
        read_back.extend(ids)
        real(ids)

    background._inspect = spy  # type: ignore[method-assign]
    lock = threading.Lock()
    events = _events(demo)
    inspected: list[str] = []
    try:
        for k, start in enumerate(range(0, len(events), 29)):
            assert proc.process(events[start : start + 29]).errors == []
            if k % 3 == 2:
                inspected += background.inspect_pending(lock=lock)
        while done := background.inspect_pending(lock=lock):
            inspected += done
    finally:
        background.store.close()
    assert len(inspected) == len(set(inspected)) >= 30 and read_back == []
    assert proc._handed == {}  # handed over and taken: nothing left in memory
    _assert_equals_batch(proc)
