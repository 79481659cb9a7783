"""Group commit of the ingress: concurrent requests merged into one processor batch, each request
getting exactly its own part of the outcome, errors isolated per request and per merged batch."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import datetime
from typing import Any

import pytest

from csqm.realtime.alerts import candidate
from csqm.realtime.engine import Outcome, Processor
from csqm.realtime.events import EventError
from csqm.realtime.ingress import GroupCommitter, IngressError, split
from csqm.store import Store
from tests.realtime.conftest import T0, Clock, ended, started, turn


def ev(eid: str, cid: str = "c") -> dict[str, Any]:
    return {"event_id": eid, "conversation_id": cid}


def alert(subject: str, event_id: str | None) -> Any:
    kind = "threat_words"
    return candidate(
        kind, subject, basis=event_id or "x", severity="critical", message="m", evidence="", event_id=event_id
    )


# -- split: hand-computed ------------------------------------------------------------------------------
def test_split_gives_each_request_its_indexes_counts_alerts_and_conversations() -> None:
    requests = [[ev("a1", "ca"), ev("a2", "ca"), ev("a3", "ca")], [ev("b1", "cb"), ev("b2", "cb")]]
    a_alert, b_alert = alert("ca", "a3"), alert("cb", "b1")
    merged = Outcome(
        accepted=3,
        duplicates=0,
        errors=[EventError(1, "a2", "Event 1 (utterance): field 'seq' bad."), EventError(4, "b2", "Event 4: bad.")],
        alerts=[b_alert, a_alert],
        queued=["cb"],
    )
    a, b = split(merged, requests)
    assert (a.accepted, a.duplicates, b.accepted, b.duplicates) == (2, 0, 1, 0)
    assert [(e.index, e.event_id, e.error) for e in a.errors] == [(1, "a2", "Event 1 (utterance): field 'seq' bad.")]
    assert [(e.index, e.event_id, e.error) for e in b.errors] == [(1, "b2", "Event 1: bad.")]  # 4 - 3
    assert a.alerts == [a_alert] and b.alerts == [b_alert]
    assert (a.queued, b.queued) == ([], ["cb"])


def test_split_deferred_and_duplicates_within_the_batch() -> None:
    # request 2 repeats request 1's "x1": the processor counted it as a duplicate; "y" was deferred
    requests = [[ev("x1"), ev("x2")], [ev("x1"), ev("y", "d")]]
    merged = Outcome(
        accepted=2,
        duplicates=1,
        duplicate_indexes=[2],
        deferred=[EventError(3, "y", "Event 3 (utterance): later.", True)],
    )
    a, b = split(merged, requests)
    assert (a.accepted, a.duplicates, a.deferred) == (2, 0, [])
    assert (b.accepted, b.duplicates) == (0, 1)
    assert [(e.index, e.error, e.retry) for e in b.deferred] == [(1, "Event 1 (utterance): later.", True)]


def test_split_duplicates_of_earlier_batches_go_to_their_requests() -> None:
    # "old" was stored by an earlier batch: the processor says which event it was
    requests = [[ev("new1")], [ev("old"), ev("new2")]]
    merged = Outcome(accepted=2, duplicates=1, duplicate_indexes=[1])
    a, b = split(merged, requests)
    assert (a.accepted, a.duplicates, b.accepted, b.duplicates) == (1, 0, 1, 1)


def test_split_repeat_of_a_rejected_event_is_a_duplicate() -> None:
    # the first "s" was rejected by the processor (conversation already started) but its id was seen,
    # so the second "s" is a duplicate: nothing of the batch stored "s"
    requests = [[ev("s")], [ev("s"), ev("t")]]
    merged = Outcome(
        accepted=1,
        duplicates=1,
        duplicate_indexes=[1],
        errors=[EventError(0, "s", "Event 0 (conversation_started): again.")],
    )
    a, b = split(merged, requests)
    assert (a.accepted, a.duplicates, [e.index for e in a.errors]) == (0, 0, [0])
    assert (b.accepted, b.duplicates) == (1, 1)


def test_split_alert_without_a_known_event_goes_to_the_requests_of_its_subject() -> None:
    requests = [[ev("a", "c1")], [ev("b", "c2")], [ev("c", "c1")]]
    lost = alert("c1", None)
    parts = split(Outcome(accepted=3, alerts=[lost]), requests)
    assert [p.alerts for p in parts] == [[lost], [], [lost]]


# -- the committer on a real processor -----------------------------------------------------------------
@pytest.fixture
def committer(store: Store, proc: Processor) -> Iterator[tuple[GroupCommitter, threading.Lock]]:
    lock = threading.Lock()
    gc = GroupCommitter(lambda raw, received: proc.process(raw, received_at=received), lock, idle_seconds=0.2)
    yield gc, lock
    gc.stop()


def queued(gc: GroupCommitter, n: int) -> None:
    for _ in range(200):
        if gc._queue.qsize() >= n:
            return
        time.sleep(0.01)
    raise AssertionError("requests were not queued")


def taken(gc: GroupCommitter) -> None:
    """Until the committer has taken what was queued (it then waits for the lock)."""
    for _ in range(500):
        if gc._queue.qsize() == 0:
            time.sleep(0.05)
            return
        time.sleep(0.01)
    raise AssertionError("the committer did not take the request")


def test_requests_waiting_together_are_one_batch_and_each_gets_its_own_outcome(
    committer: tuple[GroupCommitter, threading.Lock], store: Store
) -> None:
    gc, lock = committer
    with lock:  # the committer cannot start: the three requests queue up behind the lock
        first = gc.submit([started("c1", team_id="T1")], T0)
        taken(gc)  # the committer took the first request and waits for the lock
        rest = [
            gc.submit([turn("c1", 1, "customer", "我要投诉"), {"type": "utterance", "event_id": "bad"}], T0),
            gc.submit([started("c2"), turn("c2", 1, "customer", "你好"), started("c1")], T0),
        ]
        queued(gc, 2)
    one, two, three = first.result(10), rest[0].result(10), rest[1].result(10)
    assert gc.batches == 2 and gc.requests == 3  # the two waiting requests were merged
    assert (one.accepted, one.duplicates, one.errors) == (1, 0, [])
    assert two.accepted == 1 and [(e.index, e.error[:9]) for e in two.errors] == [(1, "Event 1 (")]
    assert [a.kind for a in two.alerts] == ["threat_words"] and two.alerts[0].subject_id == "c1"
    # c1's start is the same event id as request 1's: a duplicate of an earlier batch
    assert (three.accepted, three.duplicates, three.errors, three.alerts) == (2, 1, [], [])
    assert store.scalar('SELECT count(*) FROM "realtime_events"') == 4


def test_order_within_a_conversation_is_kept(committer: tuple[GroupCommitter, threading.Lock], store: Store) -> None:
    gc, lock = committer
    with lock:
        futures = [gc.submit([started("o1")], T0)]
        futures += [gc.submit([turn("o1", seq, "agent", f"第{seq}句")], T0) for seq in range(1, 6)]
        futures.append(gc.submit([ended("o1", utterances=5)], T0))
    outcomes = [f.result(10) for f in futures]
    assert [o.accepted for o in outcomes] == [1] * 7 and not any(o.errors or o.deferred for o in outcomes)
    assert outcomes[-1].inspected == ["o1"] and outcomes[-2].inspected == []
    assert store.scalar('SELECT count(*) FROM "utterances" WHERE "interaction_id" = \'o1\'') == 5


def test_concurrent_clients(committer: tuple[GroupCommitter, threading.Lock], store: Store) -> None:
    gc, _ = committer
    failures: list[str] = []
    alerts: dict[str, list[str]] = {}

    def client(k: int) -> None:
        cid = f"k{k}"
        batches = [[started(cid)], [turn(cid, 1, "customer", "你好"), turn(cid, 2, "agent", "您好")]]
        batches += [[turn(cid, 3, "customer", "我要去12315投诉"), ended(cid, utterances=3)]]
        for events in batches:
            out = gc.submit(events, T0).result(30)
            if out.errors or out.deferred or out.accepted != len(events):
                failures.append(f"{cid}: {out.as_dict()}")
            alerts.setdefault(cid, []).extend(a.subject_id for a in out.alerts)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert alerts == {f"k{k}": [f"k{k}"] for k in range(8)}  # each client got its own alert, once
    assert gc.requests == 24 and store.scalar('SELECT count(*) FROM "realtime_events"') == 40
    assert store.scalar('SELECT count(*) FROM "inspection_results" WHERE "interaction_id" LIKE \'k%\'') == 8


# -- failures -------------------------------------------------------------------------------------------
class Flaky:
    """A processor that fails while ``down``, or for a batch containing a ``poison`` event."""

    def __init__(self, proc: Processor) -> None:
        self.proc = proc
        self.down = False
        self.calls: list[int] = []

    def __call__(self, raw: list[object], received: datetime) -> Outcome:
        self.calls.append(len(raw))
        if self.down or any(isinstance(e, dict) and e.get("event_id") == "poison" for e in raw):
            raise OSError("connection to the database lost")
        return self.proc.process(raw, received_at=received)


def test_a_failing_request_does_not_fail_the_others_of_its_batch(store: Store, proc: Processor) -> None:
    flaky, lock = Flaky(proc), threading.Lock()
    gc = GroupCommitter(flaky, lock, idle_seconds=0.2)
    try:
        with lock:
            futures: list[Future[Outcome]] = [gc.submit([started("p0")], T0)]
            taken(gc)
            futures += [gc.submit([started("p1")], T0), gc.submit([{"event_id": "poison"}], T0)]
            futures.append(gc.submit([started("p2")], T0))
            queued(gc, 3)
        assert futures[0].result(10).accepted == 1
        assert futures[1].result(10).accepted == 1 and futures[3].result(10).accepted == 1
        with pytest.raises(
            IngressError, match=re.escape("could not be stored (OSError); nothing of this request was kept")
        ):
            futures[2].result(10)
        assert flaky.calls == [1, 3, 1, 1, 1]  # the merged batch failed, then one by one
    finally:
        gc.stop()


def test_a_database_error_fails_exactly_the_requests_of_that_batch(store: Store, proc: Processor) -> None:
    flaky, lock = Flaky(proc), threading.Lock()
    gc = GroupCommitter(flaky, lock, idle_seconds=0.2)
    try:
        flaky.down = True
        failed = [gc.submit([started(f"d{i}")], T0) for i in range(3)]
        for future in failed:
            with pytest.raises(IngressError):
                future.result(10)
        flaky.down = False
        assert gc.submit([started("d0"), started("d9")], T0).result(10).accepted == 2  # nothing was kept
        assert store.scalar('SELECT count(*) FROM "realtime_events"') == 2
    finally:
        gc.stop()


def test_after_a_busy_batch_the_next_waits_briefly_for_late_joiners(store: Store, proc: Processor) -> None:
    lock = threading.Lock()
    gc = GroupCommitter(lambda r, t: proc.process(r, received_at=t), lock, gather_seconds=0.5)
    try:
        with lock:
            first = gc.submit([started("g1")], T0)
            taken(gc)  # taken alone (no batch before it: no wait), blocked on the lock
            pair = [gc.submit([started("g2")], T0), gc.submit([started("g3")], T0)]
            queued(gc, 2)
        assert first.result(10).accepted == 1 and all(f.result(10).accepted == 1 for f in pair)
        assert gc.batches == 2  # [g1], then [g2, g3] at once (the batch before had one request)
        late = [gc.submit([started("g4")], T0)]
        time.sleep(0.1)  # g4 waits up to 0.5 s for others, as the batch before had two requests
        late.append(gc.submit([started("g5")], T0))
        assert all(f.result(10).accepted == 1 for f in late)
        assert gc.batches == 3 and gc.requests == 5
    finally:
        gc.stop()


def test_a_lone_sequential_client_is_never_kept_waiting(store: Store, proc: Processor) -> None:
    gc = GroupCommitter(lambda r, t: proc.process(r, received_at=t), threading.Lock(), gather_seconds=5)
    try:
        began = time.monotonic()
        for i in range(3):
            assert gc.submit([started(f"s{i}")], T0).result(10).accepted == 1
        assert time.monotonic() - began < 5 and gc.batches == 3
    finally:
        gc.stop()


def test_a_request_cancelled_before_its_turn_is_dropped(store: Store, proc: Processor) -> None:
    lock = threading.Lock()
    gc = GroupCommitter(lambda r, t: proc.process(r, received_at=t), lock)
    try:
        with lock:
            first = gc.submit([started("x1")], T0)
            taken(gc)  # the committer holds x1 (it can no longer be cancelled)
            gone = gc.submit([started("x2")], T0)
            kept = gc.submit([started("x3")], T0)
            assert gone.cancel() and not first.cancel()  # x2's client disconnected
        assert first.result(10).accepted == 1 and kept.result(10).accepted == 1
        assert gc.submit([started("x4")], T0).result(10).accepted == 1  # the committer goes on
        ids = set(store.query('SELECT "subject_id" FROM "realtime_events"')["subject_id"])
        assert ids == {"x1", "x3", "x4"}
    finally:
        gc.stop()


def test_the_thread_ends_when_idle_and_comes_back(store: Store, proc: Processor) -> None:
    gc = GroupCommitter(lambda r, t: proc.process(r, received_at=t), threading.Lock(), idle_seconds=0.05)
    assert not gc.active
    assert gc.submit([started("i1")], T0).result(10).accepted == 1
    for _ in range(100):
        if not gc.active:
            break
        time.sleep(0.02)
    assert not gc.active
    assert gc.submit([started("i2")], T0).result(10).accepted == 1


def test_resent_event_is_its_requests_duplicate_any_clock(store: Store, proc: Processor, clock: Clock) -> None:
    gc = GroupCommitter(lambda r, t: proc.process(r, received_at=t), threading.Lock(), idle_seconds=0.2)
    try:  # a frozen clock: both batches are received at the same time
        first = gc.submit([started("u1")], clock()).result(10)
        again = gc.submit([started("u2"), started("u1")], clock()).result(10)
    finally:
        gc.stop()
    assert (first.accepted, first.duplicates) == (1, 0)
    assert (again.accepted, again.duplicates, again.errors) == (1, 1, [])


def test_split_reinspection_for_a_late_turn_goes_to_the_requests_about_the_conversation() -> None:
    # "late" re-opened ended conversation c1 (no end in this batch); "e2" ended c2 in request 2 only
    requests = [
        [ev("late", "c1")],
        [ev("t2", "c2"), {**ev("e2", "c2"), "type": "conversation_ended"}],
        [ev("t3", "c2")],
    ]
    parts = split(Outcome(accepted=4, queued=["c1", "c2"]), requests)
    assert [p.queued for p in parts] == [["c1"], ["c2"], []]
