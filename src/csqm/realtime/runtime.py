"""What one server process runs for real time: the processor, the ingress's group committer, the
live board, the timers and the webhook sender.

Events sent over HTTP and the WebSocket go through :class:`~csqm.realtime.ingress.GroupCommitter`:
concurrent requests are processed as one batch, on the app's store under its lock. The board is an
in-process ring of recent alerts that the server-sent-events endpoint reads; alerts raised in this
process are put there as soon as they are committed.

Everything else runs in the background thread (:meth:`Runtime.start`) on a second connection to
the same database (:meth:`~csqm.store.Store.another_connection`), in its own transactions, so it
never holds the ingress's lock: every ``interval`` seconds the timers (:meth:`Processor.tick`), the
inspection of the ended conversations queued since (all of them, in chunks), the alerts stored by
other processes (NATS workers) for the board, and due webhooks. Before, the timers and one
inspection at a time ran between the ingress's commits and held the next batch for 10–30 ms.

The background's inspection gives way to the ingress
(:meth:`~csqm.realtime.ingress.GroupCommitter.make_way`, called by the processor before each rule
and between its reads and writes): while requests wait or are being committed it waits until they
are answered, so that it does not take the interpreter lock from the committer during a batch,
unless it has fallen more than ``Processor.make_way_lag`` seconds behind. PostgreSQL, 2,000 utt/s
open loop for 49 s: alert p99 72–100 ms (median 85.6) against 102–158 ms (median 110.5) competing;
embedded, median 151.5 against 232.3 ms (docs/benchmarks.md, session 10).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any

from csqm.realtime.alerts import Alert, stored_since
from csqm.realtime.config import RealtimeConfig, load_config
from csqm.realtime.engine import Outcome, Processor
from csqm.realtime.events import utcnow
from csqm.realtime.ingress import GroupCommitter
from csqm.realtime.tables import REALTIME_PENDING
from csqm.realtime.webhook import WebhookSender
from csqm.store import Store
from csqm.web.deps import AppState

log = logging.getLogger(__name__)


class Board:
    """The most recent alerts, numbered; readers ask for everything after the number they last saw.

    A reader on an event loop (the live board's server-sent events) waits with :meth:`waiter`,
    which :meth:`publish` wakes from whatever thread it runs in, so an alert reaches the board as
    soon as it is committed rather than at the reader's next poll.

    An alert is put on the board once, even after it fell off the end: the board remembers the ids
    it was given for ``remember`` seconds (:meth:`missing`), longer than the background looks back
    for alerts stored by other processes. Under load, more alerts are stored in that look-back (11 s)
    than the board holds (300–1,600 evicted, mostly timers'); they were read again, in full, every
    second, holding the interpreter lock for about 100 ms and stalling the ingress meanwhile."""

    def __init__(
        self, size: int = 2000, *, remember: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._items: deque[tuple[int, Alert]] = deque(maxlen=size)
        self._ids: set[str] = set()  # on the board
        self._given: OrderedDict[str, float] = OrderedDict()  # given within ``remember`` seconds
        self.remember = remember
        self._clock = clock
        self._next = 1
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def publish(self, alerts: list[Alert]) -> None:
        with self._lock:
            now = self._clock()
            while self._given and next(iter(self._given.values())) < now - self.remember:
                self._given.popitem(last=False)
            added = 0
            for alert in alerts:
                if alert.alert_id in self._ids or alert.alert_id in self._given:
                    continue
                if len(self._items) == self._items.maxlen:
                    self._ids.discard(self._items[0][1].alert_id)
                self._items.append((self._next, alert))
                self._ids.add(alert.alert_id)
                self._given[alert.alert_id] = now
                self._next += 1
                added += 1
            waiters = list(self._waiters) if added else []
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # its loop has closed: the reader is gone
                loop.call_soon_threadsafe(event.set)

    @contextlib.contextmanager
    def waiter(self) -> Iterator[asyncio.Event]:
        """An event set whenever alerts are published, for a reader on the running event loop;
        clear it before reading :meth:`since`, then wait on it."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                self._waiters.discard(entry)

    def missing(self, ids: list[str]) -> list[str]:
        """Those of ``ids`` neither on the board nor given to it lately."""
        with self._lock:
            return [i for i in ids if i not in self._ids and i not in self._given]

    def since(self, number: int) -> list[tuple[int, Alert]]:
        with self._lock:
            return [(n, a) for n, a in self._items if n > number]

    @property
    def last(self) -> int:
        with self._lock:
            return self._next - 1


class Runtime:
    """The real-time side of one app (see the module doc)."""

    def __init__(
        self,
        state: AppState,
        *,
        config: RealtimeConfig | None = None,
        clock: Callable[[], datetime] = utcnow,
        webhook_url: str | None = None,
        webhook_secret: bytes | None = None,
        interval: float = 1.0,
        inspect_chunk: int = 50,
        inspect_pause: float = 0.002,
        store_threads: int | None = None,
    ) -> None:
        self.state = state
        if store_threads is not None:
            # Why (``csqm realtime serve`` gives 1): the ingress runs many small statements, which
            # one DuckDB thread runs cheaper than two (no hand-over between threads, the second core
            # left to the HTTP loop and the background): 0.40 against 0.52–0.58 ms for a 20-row
            # insert in a transaction; paced 2,000 utt/s, 18.7–18.8 against 20.8–23.1 ms a batch
            # (docs/benchmarks.md, session 6). A store that is not embedded ignores it.
            state.store.set_threads(store_threads)
        self.clock = clock
        self.config = config or load_config()
        url = webhook_url if webhook_url is not None else os.environ.get("CSQM_ALERT_WEBHOOK_URL")
        secret = webhook_secret or os.environ.get("CSQM_ALERT_WEBHOOK_SECRET", "").encode()
        if url and not secret:
            secret = state.settings.secret_key()
        self.processor = Processor(  # the caller holds the store lock, or nothing runs yet
            state.store,
            settings=state.settings,
            config=self.config,
            catalogue=state.catalogue,
            clock=clock,
            webhook=bool(url),
        )
        self.board = Board()
        self.processor.listeners.append(self.board.publish)
        self.webhook = (
            WebhookSender(state.store, url=url, secret=secret, config=self.config.webhook, clock=clock, lock=self._lock)
            if url
            else None
        )
        self.interval = interval
        #: Queued ended conversations inspected per transaction of the background step, and the
        #: pause between two such chunks. Why: the Python part of an inspection holds the GIL, and
        #: 500 conversations at a time (~110 ms) held up the ingress and the HTTP event loop; in
        #: chunks of 50 with 2–3 ms between them the 8 × 20 benchmark's alert p99 went from 66–69
        #: to 42–46 ms (medians, two runs each way, docs/benchmarks.md), the inspection keeping up.
        self.inspect_chunk = inspect_chunk
        self.inspect_pause = inspect_pause
        self.ingress = GroupCommitter(self._process_batch, state.lock)
        #: The background thread's processor, on its own connection (from :meth:`start`).
        self.background: Processor | None = None
        #: ``csqm realtime serve`` only (a process that is the server): every this many seconds,
        #: objects that survived so far are moved out of the garbage collector's reach (see _freeze).
        self.freeze_seconds: float | None = None
        self._frozen_at = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen_at = clock() - timedelta(minutes=1)
        #: Background steps run, and the last one's time and duration (ms), for :meth:`status`.
        self.steps = 0
        self.last_step: tuple[datetime, float] | None = None

    def _lock(self) -> Any:
        return self.state.lock

    def process(self, raw: list[object]) -> Outcome:
        """Process one batch now, alone (library use and tests; the ingress uses :meth:`submit`)."""
        with self.state.lock:
            return self._process_batch(raw, self.clock())

    def submit(self, raw: list[object]) -> Future[Outcome]:
        """Queue a request's events for the group committer; the future gets the request's outcome."""
        return self.ingress.submit(raw, self.clock())

    def _process_batch(self, raw: list[object], received: datetime) -> Outcome:
        return self.processor.process(raw, received_at=received)

    def _freeze(self) -> None:
        """Why: conversation state, the packs' matchers and the models are millions of long-lived
        objects; every full collection walks them all (0.25–0.4 s measured under load) and stalls
        every request. Frozen objects are not walked. A young collection first, so that fresh
        cyclic garbage is freed rather than frozen; objects freed by reference counting (nearly
        all: conversation state has no cycles) are still freed after freezing."""
        if self.freeze_seconds is None or time.monotonic() - self._frozen_at < self.freeze_seconds:
            return
        gc.collect(1)
        gc.freeze()
        self._frozen_at = time.monotonic()

    def step(self, now: datetime | None = None) -> None:
        """One round of background work (see the module doc), on the background connection."""
        background = self.background
        if background is None:
            raise RuntimeError("Runtime.step runs after start().")
        now = now or self.clock()
        began = time.perf_counter()
        background.tick(now)
        while not self._stop.is_set():
            done = background.inspect_pending(limit=self.inspect_chunk, lock=self.state.lock)
            if len(done) < self.inspect_chunk:
                break  # else a full chunk: there may be more
            self._stop.wait(self.inspect_pause)  # let the ingress and the event loop in
        since = self._seen_at - timedelta(seconds=10)
        background.yield_to_ingress()
        self.board.publish(stored_since(background.store, since, self.board.missing))
        self._seen_at = now
        if self.webhook is not None:
            self.webhook.deliver_due(now)
        self._freeze()
        self.steps += 1
        self.last_step = (now, (time.perf_counter() - began) * 1000)

    def status(self, store: Store) -> dict[str, Any]:
        """How the real-time pipeline is doing, for operators (``GET /api/v1/realtime/status``):
        the ingress's batches and how long the recent ones took, the queue of ended conversations
        waiting for inspection (read from ``store``), the background step, the board."""
        ingress = self.ingress
        took = sorted(ingress.recent_ms)

        def pct(q: float) -> float | None:
            return round(took[min(len(took) - 1, int(q * len(took)))], 1) if took else None

        queued, oldest = store.rows(f'SELECT count(*), min("queued_at") FROM "{REALTIME_PENDING.name}"')[0]
        now = self.clock()
        step_at, step_ms = self.last_step if self.last_step is not None else (None, None)
        return {
            "as_of": now.isoformat() + "Z",
            "ingress": {
                "active": ingress.active,
                "batches": ingress.batches,
                "requests": ingress.requests,
                "events": ingress.events,
                "busy_seconds": round(ingress.busy_seconds, 3),
                "recent_batches": len(took),
                "batch_ms_p50": pct(0.5),
                "batch_ms_p99": pct(0.99),
            },
            "inspection": {
                "queued": int(queued),
                "oldest_queued_seconds": round((now - oldest).total_seconds(), 1) if oldest is not None else None,
                "in_background": not self.processor.inline_inspection,
                "gave_way": ingress.made_way,
                "gave_way_seconds": round(ingress.made_way_seconds, 3),
            },
            "background": {
                "running": self._thread is not None,
                "steps": self.steps,
                "last_step_at": step_at.isoformat() + "Z" if step_at is not None else None,
                "last_step_ms": round(step_ms, 1) if step_ms is not None else None,
            },
            "board": {"last": self.board.last},
        }

    def start(self) -> None:
        """Open the background connection and run :meth:`step` every ``interval`` seconds in a
        daemon thread (idempotent). From now on ended conversations are queued for the step."""
        if self._thread is not None:
            return
        with self.state.lock:
            self.background = self.processor.on(self.state.store.another_connection())
        # The inspection gives way to the ingress between its steps (see the module doc).
        self.background.make_way = self.ingress.make_way
        self.processor.inline_inspection = False

        def loop() -> None:
            while not self._stop.wait(self.interval):
                try:
                    self.step()
                except Exception:
                    log.exception("real-time background step failed")

        self._thread = threading.Thread(target=loop, name="csqm-realtime", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.ingress.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.background is not None:
            self.background.store.close()
            self.background = None


_CREATE = threading.Lock()


def runtime_of(state: AppState, app_state: Any, *, start: bool = False) -> Runtime:
    """The app's runtime, created on first use. Call it with the store lock held (a route with
    ``StoreDep``) or before the app serves. The background thread (timers, webhook, alerts of other
    processes) is started by ``csqm realtime serve`` (``start=True``), which also stops it."""
    runtime: Runtime | None = getattr(app_state, "csqm_realtime", None)
    if runtime is None:
        with _CREATE:
            runtime = getattr(app_state, "csqm_realtime", None)
            if runtime is None:
                runtime = Runtime(state)
                app_state.csqm_realtime = runtime
                if start:
                    runtime.start()
    return runtime
