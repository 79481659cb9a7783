"""Scale-out on NATS JetStream: publishers put events on a stream, workers process them.

Design (see ``docs/realtime.md``):

- One stream ``<PREFIX>`` holds subjects ``<prefix>.events.<p>``, ``p = crc32(conversation or contact
  id) % partitions``: every event of a conversation is on one subject, in order. Publishing sets
  ``Nats-Msg-Id`` to the event id, so JetStream itself drops a re-published event (2-minute window).
- Workers share one durable pull consumer ``<prefix>_workers`` with explicit acks: JetStream spreads
  messages over the workers, and a message not acknowledged within ``ack_wait`` (a killed worker) is
  delivered again, to any worker — at-least-once.
- A worker fetches a batch and hands it to :class:`~csqm.realtime.engine.Processor` — one database
  transaction that takes a PostgreSQL advisory lock per conversation, so two workers never work on
  the same conversation at once, and stores events, turns, results and alerts together. Only after
  the commit are the messages acknowledged. Killed before the commit: nothing was stored and the
  messages come again. Killed after the commit but before the ack: the events come again and are
  dropped as duplicates by event id, so no alert is raised twice (alert ids are deterministic too).
- The per-conversation state (the interaction row, its turns, the customer's polarity per turn) is
  in the store, so any worker continues any conversation. An event sent too early for the state (a
  turn of a conversation whose start has not arrived, an end before its last turns) is *nak*-ed with
  a delay and comes back later.
- Alerts are published on ``<prefix>.alerts`` (core NATS) after the commit, for live consumers; the
  store is the log. Timers (chat SLA, queue waits, live KPIs) run in every worker under one advisory
  lock; dedup makes them alert once.

PostgreSQL is needed for several workers (the embedded DuckDB file allows one process: run one
worker per DuckDB file).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import nats
from nats.aio.client import Client
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
from nats.js.errors import NotFoundError

from csqm.realtime.engine import Processor

log = logging.getLogger(__name__)

DEFAULT_URL = "nats://127.0.0.1:4222"
DEFAULT_PREFIX = "csqm"
DEFAULT_PARTITIONS = 16


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


async def publish(
    js: JetStreamContext, prefix: str, events: Iterable[Mapping[str, Any]], partitions: int = DEFAULT_PARTITIONS
) -> int:
    """Publish events (acknowledged by the stream); returns how many."""
    futures = []
    count = 0
    for event in events:
        count += 1
        data = json.dumps(event, ensure_ascii=False).encode()
        headers = {"Nats-Msg-Id": str(event.get("event_id"))} if event.get("event_id") else None
        futures.append(js.publish(subject_of(prefix, event, partitions), data, headers=headers))
        if len(futures) >= 500:
            await asyncio.gather(*futures)
            futures = []
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


class Worker:
    """Consumes ``<prefix>.events.*`` with the shared durable consumer and processes batches."""

    def __init__(
        self,
        processor: Processor,
        *,
        url: str = DEFAULT_URL,
        prefix: str = DEFAULT_PREFIX,
        batch: int = 256,
        ack_wait: float = 30.0,
        tick_seconds: float = 1.0,
        retry_delay: float = 0.5,
    ) -> None:
        self.processor = processor
        self.url, self.prefix, self.batch = url, prefix, batch
        self.ack_wait, self.tick_seconds, self.retry_delay = ack_wait, tick_seconds, retry_delay
        self.stats = WorkerStats()
        self.stopping = asyncio.Event()

    async def run(self, *, idle_exit: float | None = None) -> WorkerStats:
        """Process until stopped (SIGTERM/SIGINT, or ``idle_exit`` seconds without a message)."""
        nc: Client = await nats.connect(self.url, name="csqm-realtime-worker")
        try:
            js = nc.jetstream()
            await ensure_stream(js, self.prefix)
            config = ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT, ack_wait=self.ack_wait, max_ack_pending=self.batch * 8
            )
            sub = await js.pull_subscribe(
                f"{self.prefix}.events.*",
                durable=f"{self.prefix}_workers",
                stream=stream_name(self.prefix),
                config=config,
            )
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):  # not in the main thread
                    loop.add_signal_handler(sig, self.stopping.set)
            last_message = last_tick = time.monotonic()
            while not self.stopping.is_set():
                try:
                    msgs = await sub.fetch(self.batch, timeout=0.5)
                except (NatsTimeout, TimeoutError):
                    msgs = []
                now = time.monotonic()
                if msgs:
                    last_message = now
                    await self._handle(nc, msgs)
                elif idle_exit is not None and now - last_message > idle_exit:
                    break
                if now - last_tick >= self.tick_seconds:
                    last_tick = now
                    alerts = await asyncio.to_thread(self.processor.tick)
                    await self._publish_alerts(nc, [a.as_dict() for a in alerts])
        finally:
            with contextlib.suppress(Exception):
                await nc.flush(timeout=2)  # the last acks
            await nc.close()
        return self.stats

    async def _handle(self, nc: Client, msgs: list[Any]) -> None:
        events: list[object] = []
        for m in msgs:
            try:
                events.append(json.loads(m.data))
            except (json.JSONDecodeError, UnicodeDecodeError):
                events.append(None)  # reported as a bad event by index, then acknowledged
        try:
            outcome = await asyncio.to_thread(self.processor.process, events)
        except Exception:
            self.stats.failures += 1
            log.exception("batch of %d events failed; they will be delivered again", len(msgs))
            for m in msgs:
                await m.nak(delay=self.retry_delay)
            return
        retry = {e.index for e in outcome.deferred}
        for i, m in enumerate(msgs):
            if i in retry:
                await m.nak(delay=self.retry_delay)
            else:
                await m.ack()
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
