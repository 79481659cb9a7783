"""What one server process runs for real time: the processor, the ingress's group committer, the
live board, the timers and the webhook sender, sharing the app's store under its lock.

Events sent over HTTP and the WebSocket go through :class:`~csqm.realtime.ingress.GroupCommitter`:
concurrent requests are processed as one batch. The board is an in-process ring of recent alerts
that the server-sent-events endpoint reads; alerts raised in this process are put there as soon as
they are committed, and alerts stored by other processes (NATS workers) are picked up by the
background thread, which also runs the timers (:meth:`Processor.tick`) and delivers due webhooks
every ``interval`` seconds. Ended conversations queued for inspection are inspected a few at a time
between the committer's commits once the ingress is quiet for a moment (and one conversation a
second while requests keep coming), and by the background thread when no events arrive.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any

from csqm.realtime.alerts import Alert, list_rows
from csqm.realtime.config import RealtimeConfig, load_config
from csqm.realtime.engine import Outcome, Processor
from csqm.realtime.events import utcnow
from csqm.realtime.ingress import GroupCommitter
from csqm.realtime.webhook import WebhookSender
from csqm.web.deps import AppState

log = logging.getLogger(__name__)


class Board:
    """The most recent alerts, numbered; readers ask for everything after the number they last saw."""

    def __init__(self, size: int = 2000) -> None:
        self._items: deque[tuple[int, Alert]] = deque(maxlen=size)
        self._ids: set[str] = set()
        self._next = 1
        self._lock = threading.Lock()

    def publish(self, alerts: list[Alert]) -> None:
        with self._lock:
            for alert in alerts:
                if alert.alert_id in self._ids:
                    continue
                if len(self._items) == self._items.maxlen:
                    self._ids.discard(self._items[0][1].alert_id)
                self._items.append((self._next, alert))
                self._ids.add(alert.alert_id)
                self._next += 1

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
        inspect_chunk: int = 4,
    ) -> None:
        self.state = state
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
        #: Ended conversations inspected per hold of the store lock (between commits, background step).
        self.inspect_chunk = inspect_chunk
        self._maybe_pending = True  # conversations may be queued from before (a restart)
        self.ingress = GroupCommitter(self._process_batch, state.lock, between=self._between)
        #: ``csqm realtime serve`` only (a process that is the server): every this many seconds,
        #: objects that survived so far are moved out of the garbage collector's reach (see _freeze).
        self.freeze_seconds: float | None = None
        self._frozen_at = time.monotonic()
        self._ticked_at = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen_at = clock() - timedelta(minutes=1)

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
        outcome = self.processor.process(raw, received_at=received)
        if outcome.queued:
            self._maybe_pending = True
        return outcome

    def _between(self, pressed: bool) -> bool:
        """Between ingress commits: the timers when due (while events arrive, here rather than in
        the background thread, whose turn would often come while a batch waits for the store), then
        one conversation when requests keep coming (an inspection holds the store for ~10–30 ms per
        conversation, and a request arriving meanwhile waits), a chunk when the ingress is quiet."""
        self._freeze()
        if self._thread is not None and self._tick_due():
            self._tick()
            return True
        return self._inspect_some(1 if pressed else self.inspect_chunk)

    def _tick_due(self, periods: float = 1.0) -> bool:
        return time.monotonic() - self._ticked_at >= self.interval * periods

    def _tick(self, now: datetime | None = None) -> None:
        self._ticked_at = time.monotonic()
        with self.state.lock:
            self.processor.tick(now or self.clock())

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

    def _inspect_some(self, limit: int | None = None) -> bool:
        """Inspect one chunk of queued ended conversations; True when there may be more. Skipped
        (no query) when nothing was queued since the queue was last found empty."""
        if not self._maybe_pending or self.processor.inline_inspection:
            return False
        chunk = limit or self.inspect_chunk
        with self.state.lock:
            done = self.processor.inspect_pending(limit=chunk)
        if len(done) < chunk:
            self._maybe_pending = False
            return False
        return True

    def step(self, now: datetime | None = None) -> None:
        """One round of background work: timers, alerts from other processes, due webhooks, and the
        queued inspections when no events are arriving (else the committer does them, and the
        timers too unless it has not for three periods)."""
        now = now or self.clock()
        if not self.ingress.active or self._tick_due(3.0):
            self._tick(now)
        # A few at a time, letting requests in between: the lock is never held for long.
        while not self.ingress.active and not self._stop.is_set() and self._inspect_some():
            time.sleep(0.002)
        with self.state.lock:
            since = self._seen_at - timedelta(seconds=10)
            rows = list_rows(self.state.store, '"created_at" > ?', [since], limit=2000)
        self._seen_at = now
        self.board.publish([a for a, _ in rows])
        if self.webhook is not None:
            self.webhook.deliver_due(now)

    def start(self) -> None:
        """Run :meth:`step` every ``interval`` seconds in a daemon thread (idempotent)."""
        if self._thread is not None:
            return
        self.processor.inline_inspection = False  # the thread inspects ended conversations

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
