"""The server's background inspection gives way to the ingress: ``GroupCommitter.make_way`` waits
while requests are waiting or being committed (bounded), returns at once otherwise; the inspector
calls it before each rule and the queued inspection between its reads and writes, with results
unchanged."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from datetime import datetime
from typing import Any

import pytest

from csqm.inspection.engine import Inspector
from csqm.realtime.config import load_config
from csqm.realtime.engine import Outcome, Processor
from csqm.realtime.ingress import GroupCommitter
from csqm.settings import Settings
from csqm.store import Store
from tests.inspection.helpers import batch_of, conversation, packs_of, rule
from tests.realtime.conftest import T0, Clock, ended, started, turn


class Gate:
    """A processor that blocks each batch until released, and says when one has begun."""

    def __init__(self, fail: bool = False) -> None:
        self.begun = threading.Event()
        self.release = threading.Event()
        self.fail = fail

    def __call__(self, events: list[object], received: datetime) -> Outcome:
        self.begun.set()
        assert self.release.wait(10)
        if self.fail:
            raise RuntimeError("store down")
        return Outcome(accepted=len(events))


def ev(eid: str) -> dict[str, Any]:
    return {"event_id": eid, "conversation_id": "c"}


def committing(fail: bool = False) -> tuple[Gate, GroupCommitter, Future[Outcome]]:
    """A committer whose first request's batch has begun and is held until ``gate.release``."""
    gate = Gate(fail)
    gc = GroupCommitter(gate, threading.Lock())
    future = gc.submit([ev("e1")], T0)
    assert gate.begun.wait(10)
    return gate, gc, future


def queued_only(store: Store, settings: Settings, clock: Clock, rules: list[dict[str, Any]]) -> Processor:
    """A processor with only ``rules`` that queues ended conversations for the background."""
    config = load_config().model_copy(update={"realtime_rules": ()})  # the shipped ones are not in this pack
    proc = Processor(store, settings=settings, clock=clock, packs=packs_of(rules), config=config)
    proc.inline_inspection = False
    return proc


def test_nothing_waiting_returns_at_once_and_counts_nothing() -> None:
    gc = GroupCommitter(Gate(), threading.Lock())
    gc.make_way(timeout=5.0)
    assert (gc.made_way, gc.made_way_seconds) == (0, 0.0)


def test_waits_until_the_request_being_committed_is_answered() -> None:
    gate, gc, future = committing()
    seen: list[bool] = []
    waiter = threading.Thread(target=lambda: (gc.make_way(timeout=10.0), seen.append(future.done())))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive()  # the batch is still being committed: the other work waits
    gate.release.set()
    waiter.join(10)
    assert seen == [True]  # it went on only once the request had its answer
    assert future.result().accepted == 1
    assert gc.made_way == 1 and gc.made_way_seconds >= 0.3
    gc.stop()


def test_the_wait_is_bounded() -> None:
    gate, gc, future = committing()
    began = time.perf_counter()
    gc.make_way(timeout=0.05)
    assert time.perf_counter() - began < 5.0  # far below the 10 s the batch may still take
    assert not future.done() and gc.made_way == 1
    gate.release.set()
    assert future.result(10).accepted == 1
    gc.stop()


def test_between_two_waits_the_work_runs_at_least_a_slice() -> None:
    gate, gc, future = committing()
    gc.make_way(timeout=0.01)
    assert gc.made_way == 1  # waited (and gave up after the timeout: the batch is still running)
    began = time.perf_counter()
    gc.make_way(timeout=5.0, slice_seconds=60.0)
    assert gc.made_way == 1 and time.perf_counter() - began < 4.0  # within its slice: no wait
    gc.make_way(timeout=0.01, slice_seconds=0.0)
    assert gc.made_way == 2
    gate.release.set()
    assert future.result(10).accepted == 1
    gc.stop()


def test_failed_and_cancelled_requests_count_as_answered() -> None:
    gate, gc, first = committing(fail=True)
    dropped = gc.submit([ev("e2")], T0)  # waits behind the first; its client goes away
    assert dropped.cancel()
    gate.release.set()
    with pytest.raises(Exception, match="could not be stored"):
        first.result(10)
    gc.stop()
    assert gc._answered == gc._submitted == 2  # nothing left for make_way to wait for
    gc.make_way(timeout=5.0)
    assert gc.made_way == 0


def test_on_the_committers_own_thread_it_does_not_wait_for_itself() -> None:
    gc: GroupCommitter

    def process(events: list[object], received: datetime) -> Outcome:
        gc.make_way(timeout=5.0)  # e.g. an inline inspection inside the batch
        return Outcome(accepted=len(events))

    gc = GroupCommitter(process, threading.Lock())
    began = time.perf_counter()
    assert gc.submit([ev("e1")], T0).result(10).accepted == 1
    assert time.perf_counter() - began < 4.0 and gc.made_way == 0
    gc.stop()


def test_inspector_calls_between_before_each_rule_in_scope_with_the_same_result() -> None:
    rules = [
        rule("keywords", {"any": ["投诉"]}, id="r.complaint", item="item_a"),
        rule("keywords", {"any": ["律师"]}, id="r.lawyer", item="item_a"),
        rule("keywords", {"any": ["邮件"]}, id="r.email_only", channels=["email"]),  # no conversation: skipped
    ]
    inspector = Inspector(packs_of(rules))
    batch = batch_of([conversation([("customer", "我要投诉")], "c1"), conversation([("customer", "找律师")], "c2")])
    calls: list[int] = []
    given = inspector.run(batch, between=lambda: calls.append(1))
    assert len(calls) == 2
    plain = inspector.run(batch)
    assert given.conversations() == plain.conversations()
    assert [[f.rule_id for f in c.findings] for c in given.conversations()] == [["r.complaint"], ["r.lawyer"]]


def test_queued_inspection_gives_way_between_its_steps(store: Store, settings: Settings, clock: Clock) -> None:
    rules = [rule("keywords", {"any": ["投诉"]}, id="r.complaint"), rule("keywords", {"any": ["律师"]}, id="r.lawyer")]
    proc = queued_only(store, settings, clock, rules)
    proc.process([started("q1"), turn("q1", 1, "customer", "我要投诉")])
    proc.process([ended("q1")])  # a later batch: PostgreSQL keeps no turns between batches
    background = proc.on(store)
    calls: list[int] = []
    background.make_way = lambda: calls.append(1)
    assert background.inspect_pending() == ["q1"]
    # before the inspection, before each of the 2 rules, after them; then, in memory (the embedded
    # store keeps the turns), before the writes; read back (PostgreSQL), after the read and after
    # the result tables
    assert len(calls) == (1 + 2 + 1 + 1 if store.dialect == "duckdb" else 1 + 1 + 2 + 1 + 1)
    rows = store.rows('SELECT "interaction_id", "fatal_count" FROM "inspection_results"')
    assert [str(r[0]) for r in rows] == ["q1"]


def test_a_queue_older_than_the_lag_is_inspected_without_giving_way(
    store: Store, settings: Settings, clock: Clock
) -> None:
    proc = queued_only(store, settings, clock, [rule("keywords", {"any": ["投诉"]})])
    proc.process([started("q1"), turn("q1", 1, "customer", "我要投诉"), ended("q1")])
    background = proc.on(store)
    calls: list[int] = []
    background.make_way = lambda: calls.append(1)
    background.make_way_lag = 3.0
    clock.advance(3.5)  # queued 3.5 s ago: the inspection has fallen behind
    assert background.inspect_pending() == ["q1"]
    assert calls == []
