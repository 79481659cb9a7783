"""The embedded store's fast path for event ids: an id this process accepted lately is a duplicate
without a look-up, any other duplicate is caught by the event log's primary key and the batch runs
again with every id looked up; PostgreSQL always looks them up."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from csqm.realtime.engine import Processor
from csqm.realtime.recent import RecentIds
from csqm.realtime.tables import REALTIME_PENDING
from csqm.settings import Settings
from csqm.store import Store
from tests.realtime.conftest import T0, Clock, ended, queue, started, turn


def _count(store: Store, table: str) -> int:
    return int(store.scalar(f'SELECT count(*) FROM "{table}"'))


def _no_lookup(proc: Processor, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record every look-up of event ids in the event log."""
    calls: list[list[str]] = []
    original = proc._known_ids

    def spy(ids: list[str]) -> set[str]:
        calls.append(list(ids))
        return original(ids)

    monkeypatch.setattr(proc, "_known_ids", spy)
    return calls


def test_an_id_accepted_lately_is_a_duplicate_without_a_look_up(
    duck: Store, settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    proc = Processor(duck, settings=settings, clock=clock)
    assert proc.optimistic
    calls = _no_lookup(proc, monkeypatch)
    batch = [started("c1"), turn("c1", 1, "customer", "我要投诉"), turn("c1", 2, "agent", "您好")]
    assert proc.process(batch).accepted == 3
    again = proc.process([*batch, turn("c1", 3, "customer", "好的")])
    assert (again.accepted, again.duplicates, again.duplicate_indexes) == (1, 3, [0, 1, 2])
    assert calls == []  # neither batch looked anything up
    assert _count(duck, "utterances") == 3 and _count(duck, "realtime_events") == 4


def test_an_id_from_before_a_restart_is_caught_by_the_key_and_the_batch_runs_again(
    duck: Store, settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    before = Processor(duck, settings=settings, clock=clock)
    before.process([started("old"), turn("old", 1, "customer", "在吗")])
    proc = Processor(duck, settings=settings, clock=clock)  # a restart: it remembers nothing yet
    proc.process([started("c2"), turn("c2", 1, "customer", "你好"), started("c3"), turn("c3", 1, "agent", "在")])
    kept = proc._cache["c3"]
    assert proc._cache["c2"].turns is not None  # c2's turns are in memory
    calls = _no_lookup(proc, monkeypatch)
    with caplog.at_level(logging.INFO, logger="csqm.realtime.engine"):
        out = proc.process([turn("old", 1, "customer", "在吗"), turn("c2", 2, "agent", "您好"), ended("c2")])
    assert (out.accepted, out.duplicates, out.duplicate_indexes, out.errors) == (2, 1, [0], [])
    assert out.inspected == ["c2"]
    assert len(calls) == 1 and sorted(calls[0]) == ["c2-e", "c2-u2", "old-u1"]  # the careful run only
    assert "processing it again with every key checked" in caplog.text
    assert "在吗" not in caplog.text  # no event data in the log
    assert _count(duck, "utterances") == 4 and _count(duck, "realtime_events") == 8
    assert duck.scalar('SELECT count(*) FROM "inspection_results" WHERE "interaction_id" = \'c2\'') == 1
    assert proc._cache["c3"] is kept  # untouched conversations keep their state in memory
    # The failed attempt left nothing behind in memory either: c2's turn 2 is not "already received".
    later = proc.process([turn("c3", 2, "customer", "谢谢")])
    assert later.accepted == 1 and later.errors == []


def test_a_queue_event_from_before_a_restart_is_caught_by_the_event_logs_key(
    duck: Store, settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    Processor(duck, settings=settings, clock=clock).process([queue("offered", "k1", 0)])
    proc = Processor(duck, settings=settings, clock=clock)
    conflicts: list[bool] = []
    original = duck.is_key_conflict
    monkeypatch.setattr(duck, "is_key_conflict", lambda exc: conflicts.append(original(exc)) or conflicts[-1])
    out = proc.process([queue("offered", "k1", 0), queue("answered", "k1", 75)])
    assert (out.accepted, out.duplicate_indexes, out.errors) == (1, [0], [])
    assert conflicts == [True]  # the first run met the event log's key
    assert [a.kind for a in out.alerts] == ["queue_wait"]  # 75 s in the queue (over 60), once
    assert _count(duck, "realtime_events") == 2 and _count(duck, "realtime_alerts") == 1


def test_a_stale_queue_entry_makes_the_batch_run_again_carefully(duck: Store, settings: Settings, clock: Clock) -> None:
    proc = Processor(duck, settings=settings, clock=clock)
    proc.inline_inspection = False
    proc.process([started("c5"), turn("c5", 1, "customer", "查一下")])
    duck.execute(f'INSERT INTO "{REALTIME_PENDING.name}" VALUES (?, ?)', ["c5", T0])  # left by something else
    out = proc.process([ended("c5")])
    assert out.accepted == 1 and out.queued == ["c5"] and out.errors == []
    assert duck.rows(f'SELECT "interaction_id", "queued_at" FROM "{REALTIME_PENDING.name}"') == [("c5", clock())]


def test_an_error_that_is_not_a_key_conflict_is_not_run_again(
    duck: Store, settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    proc = Processor(duck, settings=settings, clock=clock)
    proc.process([started("c1")])
    attempts: list[str] = []
    original = duck.load_arrow

    def failing(name: str, data: Any) -> None:
        if name == "utterances":
            attempts.append(name)
            raise RuntimeError("disk full")
        original(name, data)

    monkeypatch.setattr(duck, "load_arrow", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        proc.process([turn("c1", 1, "customer", "你好")])
    assert attempts == ["utterances"]
    assert _count(duck, "utterances") == 0 and _count(duck, "realtime_events") == 1  # rolled back
    assert "c1" not in proc._cache


def test_postgres_looks_every_id_up(pg: Store, settings: Settings, clock: Clock, caplog: Any) -> None:
    Processor(pg, settings=settings, clock=clock).process([started("c1"), turn("c1", 1, "agent", "您好")])
    proc = Processor(pg, settings=settings, clock=clock)
    assert not proc.optimistic
    with caplog.at_level(logging.INFO, logger="csqm.realtime.engine"):
        out = proc.process([turn("c1", 1, "agent", "您好"), turn("c1", 2, "customer", "在")])
    assert (out.accepted, out.duplicate_indexes) == (1, [0])
    assert "again" not in caplog.text


def test_recent_ids_forget_the_oldest_first() -> None:
    recent = RecentIds(size=3)
    recent.add(["a", "b", "a", "c"])
    assert len(recent) == 3 and all(i in recent for i in "abc")
    recent.add(["d"])
    assert "a" not in recent and all(i in recent for i in "bcd") and len(recent) == 3
    recent.add(["b", "e"])  # b is there already and keeps its place, the oldest: e makes it go
    assert "b" not in recent and all(i in recent for i in "cde")
    recent.clear()
    assert len(recent) == 0 and "c" not in recent
    with pytest.raises(ValueError, match="at least 1"):
        RecentIds(size=0)


def test_a_conversation_the_batch_starts_is_not_looked_up_unless_it_exists(
    duck: Store, settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    Processor(duck, settings=settings, clock=clock).process([started("c1"), turn("c1", 1, "agent", "您好")])
    proc = Processor(duck, settings=settings, clock=clock)  # a restart
    loads: list[list[str]] = []
    original = proc._load

    def spy(wanted: list[str], *, exact: bool = True) -> Any:
        loads.append(list(wanted))
        return original(wanted, exact=exact)

    monkeypatch.setattr(proc, "_load", spy)
    out = proc.process([started("n1"), turn("n1", 1, "customer", "在吗")])
    assert out.accepted == 2 and loads == [[]]  # new: nothing read
    loads.clear()
    # c1 was started before the restart: a second start (another event id) is an error, a resend of
    # the first (same id) a duplicate; the interactions' key sends the batch round again, carefully.
    out = proc.process([started("c1", event_id="c1-s2"), started("c1"), turn("n1", 2, "agent", "在")])
    assert loads == [["n1"], ["c1", "n1"]]  # the optimistic run (n1 from memory), then the careful one
    assert (out.accepted, out.duplicate_indexes) == (1, [1])
    assert [(e.index, "already started" in e.error) for e in out.errors] == [(0, True)]
    assert _count(duck, "interactions") == 2 and _count(duck, "utterances") == 3


def test_a_conversation_from_before_a_restart_is_read_from_its_recent_turns(
    duck: Store, settings: Settings, clock: Clock, caplog: Any
) -> None:
    """After a restart the optimistic run reads only turns spoken since a day before the conversation
    was offered (the utterances' zone maps find them; all of them would be a scan). A turn number it
    misses — here a turn stamped two days early by a sender's clock — is caught all the same."""
    skewed = -2 * 86_400
    Processor(duck, settings=settings, clock=clock).process(
        [
            started("c1"),
            turn("c1", 1, "customer", "在吗"),
            turn("c1", 2, "agent", "在", t=skewed),
            started("c2"),
            turn("c2", 1, "customer", "你好"),
            turn("c2", 2, "agent", "您好", t=skewed),
        ]
    )
    proc = Processor(duck, settings=settings, clock=clock)  # a restart
    out = proc.process([turn("c1", 3, "customer", "还在吗")])
    assert out.accepted == 1 and not proc._cache["c1"].exact and proc._cache["c1"].seqs == {1, 3}
    # turn 2 sent again under another id: the utterances' key, then the careful run, say so
    again = proc.process([turn("c1", 2, "agent", "在", event_id="c1-u2-again")])
    assert again.accepted == 0 and ["already received" in e.error for e in again.errors] == [True]
    assert proc._cache["c1"].exact and proc._cache["c1"].seqs == {1, 2, 3}
    # c2's end counts 2 turns where the recent ones show 1: looked up again, not deferred
    with caplog.at_level(logging.INFO, logger="csqm.realtime.engine"):
        end = proc.process([ended("c2", utterances=2)])
    assert (end.accepted, end.deferred, end.errors) == (1, [], [])
    assert "processing it again with every key checked" in caplog.text
    assert _count(duck, "utterances") == 5
