"""NATS messages carrying one event or a JSON list of events: how they are published, decoded and
acknowledged (a message with a deferred event comes back whole; its other events are then duplicates)."""

from __future__ import annotations

import asyncio
import uuid
import zlib
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from nats.aio.msg import Msg

from csqm.realtime.engine import Processor
from csqm.realtime.workers import (
    Worker,
    _decode,
    _message_id,
    _Partition,
    ensure_stream,
    publish,
    stream_name,
    subject_of,
)
from csqm.settings import Settings
from csqm.store import Store
from tests.realtime.conftest import Clock, ended, started, turn
from tests.realtime.test_nats_workers import NATS_URL, ensure_nats

T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """On a fresh loop in its own thread (an earlier test may have left this thread's loop running)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"event_id": "a"}', [{"event_id": "a"}]),
        (b'[{"event_id": "a"}, {"event_id": "b"}]', [{"event_id": "a"}, {"event_id": "b"}]),
        (b"[]", []),
        (b"not json", [None]),
        (b"\xff\xfe", [None]),
        (b'"a string"', ["a string"]),  # not an object: the processor rejects it by index
        (b"[1, null]", [1, None]),
    ],
)
def test_decode(data: bytes, expected: list[object]) -> None:
    assert _decode(data) == expected


def test_message_id() -> None:
    assert _message_id([{"event_id": "e1"}]) == "e1"
    group = [{"event_id": "e1"}, {"event_id": "e2"}]
    assert _message_id(group) == _message_id([dict(e) for e in group])  # the same group again: same id
    assert _message_id(group) != _message_id(list(reversed(group)))
    assert str(_message_id(group)).startswith("g:")
    assert _message_id([{"event_id": "e1"}, {"type": "utterance"}]) is None  # no dedup without every id
    assert _message_id([]) is None


class _FakeJs:
    """Records what would be published (subject, body, headers) and acknowledges at once."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, dict[str, str] | None]] = []

    async def publish(self, subject: str, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.sent.append((subject, data, headers))


def test_publish_groups_consecutive_events_of_a_partition_in_order() -> None:
    events = [{"event_id": f"e{i}", "conversation_id": f"c{i % 3}"} for i in range(10)]
    js = _FakeJs()
    assert _run(publish(js, "p", events, group=2, in_flight=3)) == 10  # type: ignore[arg-type]
    by_subject: dict[str, list[str]] = {}
    for subject, body, headers in js.sent:
        chunk = _decode(body)
        assert 1 <= len(chunk) <= 2
        assert all(subject == subject_of("p", e) for e in chunk)  # type: ignore[arg-type]
        assert headers == {"Nats-Msg-Id": _message_id(chunk)}  # type: ignore[arg-type]
        by_subject.setdefault(subject, []).extend(e["event_id"] for e in chunk)  # type: ignore[index]
    for subject, ids in by_subject.items():  # each partition keeps the publish order
        assert ids == [e["event_id"] for e in events if subject_of("p", e) == subject]
    assert sorted(i for ids in by_subject.values() for i in ids) == sorted(e["event_id"] for e in events)
    ones = _FakeJs()
    _run(publish(ones, "p", events))  # type: ignore[arg-type]
    assert [_decode(b) for _, b, _ in ones.sent] == [[e] for e in events]  # one object per message


def _partition(cid: str) -> int:
    return zlib.crc32(cid.encode()) % 16


async def _publish_raw(prefix: str, bodies: list[tuple[str, list[dict[str, object]]]]) -> None:
    import json

    import nats

    nc = await nats.connect(NATS_URL)
    try:
        js = nc.jetstream()
        await ensure_stream(js, prefix)
        for cid, chunk in bodies:
            await js.publish(f"{prefix}.events.{_partition(cid)}", json.dumps(chunk).encode())
    finally:
        await nc.drain()


async def _work(processor: Processor, prefix: str) -> Any:
    import nats

    worker = Worker(processor, url=NATS_URL, prefix=prefix, batch=64, retry_delay=0.2, tick_seconds=60)
    try:
        return await worker.run(idle_exit=1.5)
    finally:
        nc = await nats.connect(NATS_URL)
        await nc.jetstream().delete_stream(stream_name(prefix))
        await nc.drain()


def test_worker_processes_grouped_messages_and_redelivers_a_deferred_one_whole(duck: Store, settings: Settings) -> None:
    ensure_nats()
    prefix = f"t{uuid.uuid4().hex[:10]}"
    g1 = [started("g1"), ended("g1", utterances=2), turn("g1", 1, "customer", "我要投诉"), turn("g1", 2, "agent", "嗯")]
    bodies = [
        # the end comes before the turns it waits for: deferred, so this message comes again whole
        ("g1", g1),
        ("g2", [started("g2"), turn("g2", 1, "customer", "你好"), ended("g2", utterances=1)]),
        ("g3", [{"type": "utterance", "event_id": "bad"}]),  # a bad event: reported, the message acked
    ]
    _run(_publish_raw(prefix, bodies))
    processor = Processor(duck, settings=settings, clock=Clock())
    stats = _run(_work(processor, prefix))
    assert stats.deferred == 1 and stats.rejected == 1 and stats.failures == 0
    assert stats.accepted == 7  # 4 + 3 events, each once
    assert stats.duplicates == 3  # the first three events of g1, redelivered with its end
    assert stats.alerts == 1  # 投诉 once, not again on the redelivery
    stored = duck.query('SELECT "interaction_id", "ended_at" IS NOT NULL AS e FROM "interactions" ORDER BY 1')
    assert list(stored["interaction_id"]) == ["g1", "g2"] and all(stored["e"])
    assert duck.count("inspection_results") == 2


def _msg(data: bytes = b'{"event_id": "a"}', headers: dict[str, str] | None = None) -> Msg:
    return Msg(_client=None, subject="inbox", reply="$JS.ACK.x", data=data, headers=headers)  # type: ignore[arg-type]


def test_arrivals_fill_the_buffer_and_end_the_pull_request(duck: Store, settings: Settings) -> None:
    worker = Worker(Processor(duck, settings=settings, clock=Clock()), url=NATS_URL, prefix="p", batch=8)
    part = _Partition(3, "$JS.API.CONSUMER.MSG.NEXT.P.p_p3", "_INBOX.x", remaining=2)
    worker._arrive(part, _msg(b'[{"event_id": "a"}, {"event_id": "b"}]'))
    assert worker._buffered == 2 and len(worker._buffer) == 1 and not part.done.is_set()
    worker._arrive(part, _msg(b'{"event_id": "c"}'))
    assert worker._buffered == 3 and part.done.is_set()  # the second of two messages asked for
    part.done.clear()
    worker._arrive(part, _msg(b"", {"Status": "100"}))  # a heartbeat ends nothing
    assert not part.done.is_set()
    worker._arrive(part, _msg(b"", {"Status": "408"}))  # expired: over, nothing wrong
    assert part.done.is_set() and not part.trouble
    part.done.clear()
    worker._arrive(part, _msg(b"", {"Status": "409"}))  # e.g. too many waiting requests: over, wait first
    assert part.done.is_set() and part.trouble
    assert worker._buffered == 3 and len(worker._buffer) == 2  # statuses never reach the buffer
    part.owned = False  # given up: what still comes is kept to be nak-ed, not processed
    late = _msg(b'{"event_id": "d"}')
    worker._arrive(part, late)
    assert worker._naks == [late] and worker._buffered == 3


def test_a_pull_request_hands_over_what_there_is_without_waiting_for_a_full_batch(
    duck: Store, settings: Settings
) -> None:
    ensure_nats()
    prefix = f"t{uuid.uuid4().hex[:10]}"
    _run(_publish_raw(prefix, [(f"c{i}", [started(f"q{i}")]) for i in range(3)]))

    async def pull_once() -> tuple[int, float]:
        import nats

        worker = Worker(
            Processor(duck, settings=settings, clock=Clock()), url=NATS_URL, prefix=prefix, batch=64, fetch_timeout=2
        )
        nc = await nats.connect(NATS_URL)
        try:
            js = nc.jetstream()
            parts = {p: await worker._subscribe(js, nc, p) for p in {_partition(f"c{i}") for i in range(3)}}
            began = asyncio.get_running_loop().time()
            worker._start_pullers(nc, parts)  # each asks for up to 64 // len(parts) messages
            while worker._buffered < 3:
                await asyncio.sleep(0.005)
            waited = asyncio.get_running_loop().time() - began
            await worker._stop_pullers()
            for m, _ in worker._buffer:
                await nc.publish(m.reply, b"+ACK")
            return worker._buffered, waited
        finally:
            await nc.jetstream().delete_stream(stream_name(prefix))
            await nc.drain()

    got, waited = _run(pull_once())
    assert got == 3
    assert waited < 1.5  # handed over as they came, not when the 2 s request expired
