"""The server inspects queued conversations on its own connection while the ingress goes on: a late
turn queued again meanwhile is not lost (its queue entry is kept, and the next round inspects the
conversation with it)."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from csqm.realtime.engine import Processor
from csqm.settings import Settings
from csqm.store import Store
from tests.realtime.conftest import Clock, ended, started, turn


def _inspected_at(store: Store, cid: str) -> datetime:
    at: datetime = store.rows('SELECT "inspected_at" FROM "inspection_results" WHERE "interaction_id" = ?', [cid])[0][0]
    return at


def test_a_late_turn_queued_during_an_inspection_is_inspected_next_round(
    proc: Processor, store: Store, clock: Clock
) -> None:
    """As the server runs it: the queue entries are removed holding the ingress's lock."""
    _late_turn_during_inspection(proc, store, clock, threading.Lock())


def test_in_one_postgresql_transaction_too(pg: Store, settings: Settings, clock: Clock) -> None:
    """Without the lock (one transaction), PostgreSQL re-reads the changed entry and keeps it."""
    _late_turn_during_inspection(Processor(pg, settings=settings, clock=clock), pg, clock, None)


def _late_turn_during_inspection(proc: Processor, store: Store, clock: Clock, lock: Any) -> None:
    proc.inline_inspection = False  # as in the server: ended conversations are queued
    out = proc.process([started("c1"), turn("c1", 1, "customer", "你好"), ended("c1")])
    assert out.queued == ["c1"]
    background = proc.on(store.another_connection())
    real = background._inspect_ended

    def inspect_while_a_late_turn_arrives(convs: Any) -> None:
        real(convs)  # the conversation as it was when read: one turn
        clock.advance(5)
        late = proc.process([turn("c1", 2, "agent", "您好")])  # the ingress, on its connection
        assert late.accepted == 1 and late.queued == ["c1"]

    background._inspect_ended = inspect_while_a_late_turn_arrives  # type: ignore[method-assign]
    try:
        assert background.inspect_pending(lock=lock) == ["c1"]
        first = _inspected_at(store, "c1")
        background._inspect_ended = real  # type: ignore[method-assign]
        pending: Any = store.rows('SELECT "interaction_id" FROM "realtime_pending_inspections"')
        assert pending == [("c1",)]  # still queued, for the late turn
        assert background.inspect_pending(lock=lock) == ["c1"]
        assert _inspected_at(store, "c1") > first  # inspected again, after the late turn
        assert store.scalar('SELECT count(*) FROM "realtime_pending_inspections"') == 0
    finally:
        background.store.close()
