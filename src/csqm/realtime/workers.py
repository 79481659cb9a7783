"""Scale-out on NATS JetStream: publishers put events on a stream, workers process them.

Design (see ``docs/realtime.md``):

- One stream ``<PREFIX>`` holds subjects ``<prefix>.events.<p>``, ``p = crc32(conversation or contact
  id) % partitions``: every event of a conversation is on one subject, in order. Publishing sets
  ``Nats-Msg-Id`` to the event id, so JetStream itself drops a re-published event (2-minute window).
- Each partition has its own durable pull consumer ``<prefix>_p<n>`` (explicit acks). Partitions
  are shared out over the live workers with PostgreSQL session advisory locks (:class:`Ownership`):
  each worker aims at ``ceil(partitions / live workers)`` and gives up extras, so a conversation is
  normally handled by one worker, in order. A killed worker's connection closes, its locks go, and
  within a second the others take its partitions; what it had fetched but not acknowledged is
  delivered again after ``ack_wait`` — at-least-once.
- A worker fetches from all its partitions at once and hands the messages to
  :class:`~csqm.realtime.engine.Processor` — one database transaction that also takes an advisory
  lock per conversation (a safety net while partitions move), and stores events, turns, results and
  alerts together. Only after the commit are the messages acknowledged. Killed before the commit:
  nothing was stored and the messages come again. Killed after the commit but before the ack: the
  events come again and are dropped as duplicates by event id, so no alert is raised twice (alert
  ids are deterministic too).
- The per-conversation state (the interaction row, its turns, the customer's polarity per turn) is
  in the store, so any worker continues any conversation. An event sent too early for the state (a
  turn of a conversation whose start has not arrived, an end before its last turns) is *nak*-ed with
  a delay and comes back later.
- Alerts are published on ``<prefix>.alerts`` (core NATS) after the commit, for live consumers; the
  store is the log. Timers (chat SLA, queue waits, live KPIs) are tried every second by every
  worker under one advisory lock; a worker finding it taken skips that second; dedup makes them
  alert once.

PostgreSQL is needed for several workers (the embedded DuckDB file allows one process: run one
worker per DuckDB file).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import logging
import signal
import time
import zlib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
from nats.js.errors import NotFoundError

from csqm.realtime.engine import Processor
from csqm.store import Store

log = logging.getLogger(__name__)

DEFAULT_URL = "nats://127.0.0.1:4222"
DEFAULT_PREFIX = "csqm"
DEFAULT_PARTITIONS = 16
_API = "$JS.API"  # JetStream's API subjects (no domain)
_ACK = b"+ACK"


def stream_name(prefix: str) -> str:
    return prefix.upper().replace(".", "_").replace("-", "_")


def subject_of(prefix: str, event: Mapping[str, Any], partitions: int = DEFAULT_PARTITIONS) -> str:
    """The partition subject of an event (by conversation, else contact id)."""
    key = str(event.get("conversation_id") or event.get("contact_id") or event.get("event_id") or "")
    return f"{prefix}.events.{zlib.crc32(key.encode()) % partitions}"


async def ensure_stream(js: JetStreamContext, prefix: str) -> None:
    """Create the stream if it does not exist (file storage, so a restarted server keeps events)."""
    name = stream_name(prefix)
    try:
        await js.stream_info(name)
    except NotFoundError:
        await js.add_stream(StreamConfig(name=name, subjects=[f"{prefix}.events.*"], duplicate_window=120.0))


def _message_id(events: list[Mapping[str, Any]]) -> str | None:
    """``Nats-Msg-Id`` of a message: the event id, or for a group a digest of its events' ids (the
    same group published again is dropped by JetStream's duplicate window)."""
    ids = [str(e.get("event_id")) for e in events if isinstance(e, Mapping) and e.get("event_id")]
    if len(ids) != len(events) or not ids:
        return None
    if len(ids) == 1:
        return ids[0]
    return "g:" + hashlib.blake2b("\n".join(ids).encode(), digest_size=16).hexdigest()


async def publish(
    js: JetStreamContext,
    prefix: str,
    events: Iterable[Mapping[str, Any]],
    partitions: int = DEFAULT_PARTITIONS,
    *,
    group: int = 1,
    in_flight: int = 2000,
) -> int:
    """Publish events, ``in_flight`` messages awaiting the stream's acknowledgement at a time;
    returns how many events. With ``group`` > 1, up to ``group`` consecutive events of the same
    partition go in one message (a JSON list, in order): far less per-message work for the
    publisher, the server and the workers, which accept both forms."""
    pending: dict[str, list[Mapping[str, Any]]] = {}
    futures: list[Any] = []
    count = 0

    async def send(subject: str, chunk: list[Mapping[str, Any]]) -> None:
        body = chunk[0] if group <= 1 else chunk
        msg_id = _message_id(chunk)
        headers = {"Nats-Msg-Id": msg_id} if msg_id else None
        futures.append(js.publish(subject, json.dumps(body, ensure_ascii=False).encode(), headers=headers))
        if len(futures) >= in_flight:
            await asyncio.gather(*futures)
            futures.clear()

    for event in events:
        count += 1
        subject = subject_of(prefix, event, partitions)
        chunk = pending.setdefault(subject, [])
        chunk.append(event)
        if len(chunk) >= max(1, group):
            await send(subject, chunk)
            pending[subject] = []
    for subject, chunk in pending.items():
        if chunk:
            await send(subject, chunk)
    if futures:
        await asyncio.gather(*futures)
    return count


@dataclass
class WorkerStats:
    batches: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    deferred: int = 0
    alerts: int = 0
    failures: int = 0


def _namespace(prefix: str) -> int:
    """First key of this prefix's advisory locks (partitions); the next one holds worker slots."""
    return zlib.crc32(prefix.encode()) % (2**30)


class Ownership:
    """Which partitions this worker consumes, shared out over the live workers with PostgreSQL
    session advisory locks: a worker holds one *slot* lock while alive and one lock per partition it
    owns. A killed worker's connection closes, its locks go, and the others take its partitions.
    Every worker aims at ``ceil(partitions / live workers)`` partitions and gives up extras.
    On the embedded store (one worker per file) the worker owns every partition."""

    def __init__(self, store: Store, prefix: str, partitions: int, *, max_workers: int = 256) -> None:
        self.store, self.partitions, self.max_workers = store, partitions, max_workers
        self.shared = store.dialect == "postgres"
        self.ns = _namespace(prefix)
        self.slot: int | None = None
        self.held: set[int] = set()

    def _try(self, key1: int, key2: int) -> bool:
        return bool(self.store.scalar("SELECT pg_try_advisory_lock(?, ?)", (key1, key2)))

    def live_workers(self) -> int:
        if not self.shared:
            return 1
        count = self.store.scalar(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 "
            "AND classid::bigint = ? AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (self.ns + 1,),
        )
        return max(1, int(count or 0))

    def join(self) -> None:
        """Take a worker slot (counted by :meth:`live_workers`), once."""
        if self.shared and self.slot is None:
            self.slot = next((i for i in range(self.max_workers) if self._try(self.ns + 1, i)), -1)

    def share(self) -> int:
        """The fair share: ``ceil(partitions / live workers)``."""
        return -(-self.partitions // self.live_workers())

    def excess(self) -> int:
        """How many partitions this worker holds above its fair share (it must give them up)."""
        return max(0, len(self.held) - self.share()) if self.shared else 0

    def rebalance(self, *, give_up: bool = True) -> tuple[set[int], set[int]]:
        """(partitions taken, partitions given up) to move towards the fair share; with ``give_up``
        False only takes (the caller still has messages of its partitions in hand)."""
        if not self.shared:
            everything = set(range(self.partitions)) - self.held
            self.held |= everything
            return everything, set()
        self.join()
        share = self.share()
        given: set[int] = set()
        while give_up and len(self.held) > share:
            p = max(self.held)
            self.store.scalar("SELECT pg_advisory_unlock(?, ?)", (self.ns, p))
            self.held.discard(p)
            given.add(p)
        gained: set[int] = set()
        start = (self.slot or 0) * share
        for i in range(self.partitions):
            if len(self.held) >= share:
                break
            p = (start + i) % self.partitions
            if p not in self.held and self._try(self.ns, p):
                self.held.add(p)
                gained.add(p)
        return gained, given


def ownership_status(store: Store, prefix: str) -> tuple[int, int]:
    """(live workers, partitions owned) of ``prefix`` on a PostgreSQL store."""
    ns = _namespace(prefix)
    frame = store.query(
        "SELECT classid::bigint AS k, count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND objsubid = 2 AND classid::bigint IN (?, ?) GROUP BY 1",
        (ns, ns + 1),
    )
    counts = {int(k): int(n) for k, n in zip(frame["k"], frame["n"], strict=True)}
    return counts.get(ns + 1, 0), counts.get(ns, 0)


@dataclass(eq=False)
class _Partition:
    """A partition this worker consumes: its consumer's pull subject and this worker's inbox for it.
    Pulled by hand (a pull request, then the messages arrive at the inbox's callback) rather than
    with nats-py's ``fetch``, which waits for each message with a task and a timer of its own: 43
    against 14 µs of client CPU per message (docs/benchmarks.md, session 12)."""

    p: int
    api: str
    inbox: str
    sub: Any = None
    owned: bool = True  # False once given up: what still arrives is nak-ed
    remaining: int = 0  # messages the pull request in progress may still bring
    trouble: bool = False  # the last request ended with an unexpected status: wait before the next
    done: asyncio.Event = field(default_factory=asyncio.Event)  # the request in progress is over


def _decode(data: bytes) -> list[object]:
    """The events of a message: one event, or a JSON list of them. Bad JSON becomes one ``None``
    event, which the processor reports as a bad event (then the message is acknowledged)."""
    try:
        value = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return [None]
    return value if isinstance(value, list) else [value]


class Worker:
    """Consumes its partitions (one durable consumer ``<prefix>_p<n>`` per partition) and processes
    what it fetched as one batch.

    One puller task per partition keeps a pull request open; the server sends the messages to the
    partition's inbox, whose callback puts them in a local buffer while the previous batch is being
    processed (pulling overlaps processing; the buffer holds at most two batches, so messages do
    not wait long unacknowledged); the loop takes up to ``batch`` events at a time. Before giving
    partitions up it stops the pullers and finishes what is in hand, so a partition changes hands
    with nothing of it unacknowledged here. A message is one event or a JSON list of events."""

    def __init__(
        self,
        processor: Processor,
        *,
        url: str = DEFAULT_URL,
        prefix: str = DEFAULT_PREFIX,
        partitions: int = DEFAULT_PARTITIONS,
        batch: int = 1024,
        ack_wait: float = 30.0,
        tick_seconds: float = 1.0,
        retry_delay: float = 0.5,
        fetch_timeout: float = 0.25,
    ) -> None:
        self.processor = processor
        self.url, self.prefix, self.batch, self.partitions = url, prefix, batch, partitions
        self.ack_wait, self.tick_seconds, self.retry_delay = ack_wait, tick_seconds, retry_delay
        self.fetch_timeout = fetch_timeout
        self.stats = WorkerStats()
        self.stopping = asyncio.Event()
        self.ownership = Ownership(processor.store, prefix, partitions)
        # Only this worker writes the conversations of its partitions, so their state may stay in
        # memory between batches; it is dropped whenever partitions change hands.
        processor.cache = True
        self._buffer: deque[tuple[Any, list[object]]] = deque()  # fetched messages and their events
        self._buffered = 0  # events in the buffer
        self._arrived = asyncio.Event()
        self._pullers: dict[int, asyncio.Task[None]] = {}
        self._stop = asyncio.Event()
        self._releasing: set[asyncio.Task[None]] = set()
        self._naks: list[Msg] = []  # messages of partitions given up, to nak

    async def _subscribe(self, js: JetStreamContext, nc: Client, p: int) -> _Partition:
        """This partition's durable consumer (created if missing) and an inbox for its messages."""
        stream, durable = stream_name(self.prefix), f"{self.prefix}_p{p}"
        try:
            await js.consumer_info(stream, durable)
        except NotFoundError:
            config = ConsumerConfig(
                durable_name=durable,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=self.ack_wait,
                max_ack_pending=self.batch * 8,
                filter_subject=f"{self.prefix}.events.{p}",
            )
            await js.add_consumer(stream, config)
        part = _Partition(p, f"{_API}.CONSUMER.MSG.NEXT.{stream}.{durable}", nc.new_inbox())

        async def arrived(msg: Msg) -> None:
            self._arrive(part, msg)

        part.sub = await nc.subscribe(part.inbox, cb=arrived)
        return part

    # -- pulling ----------------------------------------------------------------------------------
    def _arrive(self, part: _Partition, msg: Msg) -> None:
        """A message (or the status that ends a pull request) reached ``part``'s inbox."""
        status = JetStreamContext.is_status_msg(msg)
        if status is not None:
            if status != "100":  # 404 none, 408 expired, 409 (limits, consumer gone …): the request is over
                part.done.set()
                part.trouble = status not in ("404", "408")
                if part.trouble:
                    log.warning("partition %d: pull request ended with status %s", part.p, status)
            return
        if not part.owned:  # given up: let the partition's new owner have it at once
            self._naks.append(msg)
            return
        events = _decode(msg.data)
        self._buffer.append((msg, events))
        self._buffered += len(events)
        self._arrived.set()
        part.remaining -= 1
        if part.remaining <= 0:
            part.done.set()

    async def _pull(self, nc: Client, part: _Partition, size: int, stop: asyncio.Event) -> None:
        """Ask for ``part``'s messages until ``stop`` (checked between pull requests: one in progress
        finishes into the buffer). A request asks for up to ``size`` messages and lasts at most
        ``fetch_timeout``; the server sends what is there at once and the rest as it arrives, so a
        quiet partition's message is handed over as soon as it is published."""
        request = json.dumps({"batch": size, "expires": int(self.fetch_timeout * 1e9)}).encode()
        while not stop.is_set():
            if self._buffered >= 2 * self.batch:  # back pressure: the loop is behind
                await asyncio.sleep(0.005)
                continue
            if part.trouble:
                await asyncio.sleep(self.retry_delay)
            part.remaining, part.trouble = size, False
            part.done.clear()
            await nc.publish(part.api, request, reply=part.inbox)
            # Over when full, when a status ends it, or at its expiry: nats-server 2.9 reports the
            # expiry of a request that found nothing up to a second late and delivers nothing to it
            # meanwhile (measured). A late status or message then counts against the next request.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(part.done.wait(), self.fetch_timeout)
            await self._flush_naks()

    async def _flush_naks(self) -> None:
        naks, self._naks = self._naks, []
        for msg in naks:
            with contextlib.suppress(Exception):
                await msg.nak()

    def _start_pullers(self, nc: Client, parts: dict[int, _Partition]) -> None:
        size = max(1, self.batch // max(1, len(parts)))
        for p, part in parts.items():
            if p not in self._pullers:
                self._pullers[p] = asyncio.create_task(self._pull(nc, part, size, self._stop), name=f"pull-{p}")

    async def _stop_pullers(self) -> None:
        """Stop every puller once its pull request is over (what it brings goes into the buffer)."""
        self._stop.set()
        pullers, self._pullers = self._pullers, {}
        await asyncio.gather(*pullers.values(), return_exceptions=True)
        self._stop = asyncio.Event()

    async def _take(self, wait: float) -> list[tuple[Any, list[object]]]:
        """Messages from the buffer, up to ``batch`` events (at least one message), waiting at most
        ``wait`` seconds for the first."""
        if not self._buffer:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), wait)
        taken: list[tuple[Any, list[object]]] = []
        count = 0
        while self._buffer and (not taken or count + len(self._buffer[0][1]) <= self.batch):
            item = self._buffer.popleft()
            taken.append(item)
            count += len(item[1])
        self._buffered -= count
        return taken

    async def _release(self, part: _Partition) -> None:
        """Unsubscribe from a partition given up. Its puller was stopped once its request was over,
        so normally nothing more comes; what a request lost and asked again might still bring
        within ``fetch_timeout`` is nak-ed, so the partition's new owner gets it at once rather
        than after ``ack_wait`` (30 s), which would hold up its conversations."""
        part.owned = False  # (already, when given up while running)
        await asyncio.sleep(self.fetch_timeout + 0.25)
        await self._flush_naks()
        with contextlib.suppress(Exception):
            if part.sub is not None:
                await part.sub.unsubscribe()

    # -- ownership --------------------------------------------------------------------------------
    async def _rebalance(self, js: JetStreamContext, parts: dict[int, _Partition], nc: Client) -> None:
        """Move towards the fair share. Giving partitions up first stops the pullers and processes
        what is in hand, so nothing of a partition is unacknowledged here when another worker takes it."""
        give_up = bool(await asyncio.to_thread(self.ownership.excess))
        if give_up:
            await self._stop_pullers()
            while self._buffer:
                await self._handle(nc, await self._take(0))
        gained, given = await asyncio.to_thread(self.ownership.rebalance, give_up=give_up)
        if gained or given:
            self.processor.forget()
        for p in given:
            part = parts.pop(p)
            part.owned = False  # from now on, what still arrives is nak-ed rather than processed
            task = asyncio.create_task(self._release(part))
            self._releasing.add(task)
            task.add_done_callback(self._releasing.discard)
        for p in sorted(gained):
            parts[p] = await self._subscribe(js, nc, p)
        self._start_pullers(nc, parts)

    async def run(self, *, idle_exit: float | None = None) -> WorkerStats:
        """Process until stopped (SIGTERM/SIGINT, or ``idle_exit`` seconds without a message)."""
        # The packs' matchers, the models and the processor are millions of objects that live as
        # long as the worker: without this, every full garbage collection walks them all (~0.25 s
        # each on a small machine, several a second under load) to find nothing.
        await asyncio.to_thread(self.processor.warm_up)
        gc.collect()
        gc.freeze()
        nc: Client = await nats.connect(self.url, name="csqm-realtime-worker")
        parts: dict[int, _Partition] = {}
        try:
            js = nc.jetstream()
            await ensure_stream(js, self.prefix)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):  # not in the main thread
                    loop.add_signal_handler(sig, self.stopping.set)
            if self.ownership.shared:
                # Workers started together see each other before taking partitions, rather than the
                # first taking all of them and handing half over a second later.
                await asyncio.to_thread(self.ownership.join)
                await asyncio.sleep(0.5)
            await self._rebalance(js, parts, nc)
            last_message = last_tick = time.monotonic()
            while not self.stopping.is_set():
                msgs = await self._take(0.2)
                now = time.monotonic()
                if msgs:
                    await self._handle(nc, msgs)
                    last_message = time.monotonic()  # idle counts from the end of the work
                elif idle_exit is not None and now - last_message > idle_exit:
                    break
                if now - last_tick >= self.tick_seconds:
                    last_tick = now
                    await self._rebalance(js, parts, nc)
                    alerts = await asyncio.to_thread(self.processor.tick)
                    await self._publish_alerts(nc, [a.as_dict() for a in alerts])
        finally:
            await self._stop_pullers()
            await asyncio.gather(*list(self._releasing), *(self._release(part) for part in parts.values()))
            for m, _ in self._buffer:  # fetched, not processed: let them come again at once
                with contextlib.suppress(Exception):
                    await m.nak()
            self._buffer.clear()
            self._buffered = 0
            with contextlib.suppress(Exception):
                await nc.flush(timeout=2)  # the last acks
            await nc.close()
            gc.unfreeze()  # run in process (tests, library): let the rest of it collect as usual
        return self.stats

    async def _handle(self, nc: Client, taken: list[tuple[Any, list[object]]]) -> None:
        msgs = [m for m, _ in taken]
        events: list[object] = []
        spans: list[range] = []  # the events of each message
        for _, items in taken:
            spans.append(range(len(events), len(events) + len(items)))
            events.extend(items)
        try:
            outcome = await asyncio.to_thread(self.processor.process, events)
        except Exception:
            self.stats.failures += 1
            log.exception("batch of %d messages failed; they will be delivered again", len(msgs))
            for m in msgs:
                await m.nak(delay=self.retry_delay)
            return
        retry = {e.index for e in outcome.deferred}
        for span, m in zip(spans, msgs, strict=True):
            # a message with a deferred event comes again whole: its other events are duplicates then
            if any(i in retry for i in span):
                await m.nak(delay=self.retry_delay)
            else:  # what Msg.ack sends, without its bookkeeping (~2 µs a message)
                await nc.publish(m.reply, _ACK)
        for err in outcome.errors:
            log.warning("rejected: %s", err.error)
        self.stats.batches += 1
        self.stats.accepted += outcome.accepted
        self.stats.duplicates += outcome.duplicates
        self.stats.rejected += len(outcome.errors)
        self.stats.deferred += len(retry)
        self.stats.alerts += len(outcome.alerts)
        await self._publish_alerts(nc, [a.as_dict() for a in outcome.alerts])

    async def _publish_alerts(self, nc: Client, alerts: list[dict[str, Any]]) -> None:
        for alert in alerts:
            await nc.publish(f"{self.prefix}.alerts", json.dumps(alert, ensure_ascii=False).encode())
