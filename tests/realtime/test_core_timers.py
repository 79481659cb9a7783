"""Timers run in one worker at a time: a worker finding another one running them skips that second
instead of waiting for it (and then doing the same work again)."""

from __future__ import annotations

import time

from csqm.realtime.engine import Processor
from csqm.settings import Settings
from csqm.store import Store, open_store
from tests.realtime.conftest import Clock, started


def test_busy_timers_are_skipped_not_waited_for(pg: Store, settings: Settings, clock: Clock) -> None:
    proc = Processor(pg, settings=settings, clock=clock)
    proc.process([started("slow", 0)])
    clock.now = clock.now.replace(second=31)
    other = open_store(pg.url, settings=settings)  # another worker, running the timers
    try:
        other.begin()
        other.execute("SELECT pg_advisory_xact_lock(hashtextextended('__csqm_timers__', 0))")
        pg.execute("SET lock_timeout = '3s'")  # waiting for the lock would fail the test, not hang it
        began = time.monotonic()
        assert proc.tick() == []  # skipped: the lock is taken
        assert time.monotonic() - began < 5
        other.rollback()
    finally:
        other.close()
    assert [(a.kind, a.subject_id) for a in proc.tick()] == [("chat_sla", "slow")]  # free again: runs


def test_embedded_store_always_runs_the_timers(duck: Store, settings: Settings, clock: Clock) -> None:
    proc = Processor(duck, settings=settings, clock=clock)
    proc.process([started("slow", 0)])
    clock.now = clock.now.replace(second=31)
    assert [(a.kind, a.subject_id) for a in proc.tick()] == [("chat_sla", "slow")]
