"""Group commit for the HTTP and WebSocket ingress: one processor call for many concurrent requests.

Why: a batch's cost is mostly fixed (the event-id check, the appends, the commit), and the embedded
store has one writer. When every request runs its own batch under the app's store lock, many small
concurrent requests — a contact centre's hundreds of live conversations, each sending a turn or a
few — queue on that lock and each pays the fixed cost. Here requests put their events on one queue;
one committer thread takes everything waiting, runs :meth:`Processor.process` once for the merged
batch under the lock, and gives each request its own part of the outcome (:func:`split`): its
accepted and duplicate counts, its errors with its own event indexes, the alerts its events raised
and the conversations it ended. Events keep their order (requests in arrival order, each request's
events in its order), so the events of a conversation that one client sends in order are processed
in order.

Isolation: a bad event is an error of its own request only (events are validated one by one). When
the merged batch fails as a whole (a database error), nothing of it was stored (one transaction);
its requests are then processed one at a time, so a request that makes the processor fail does not
take the others with it, and each request that still fails gets the error. Requests of other
merged batches are not affected.
"""

from __future__ import annotations

import bisect
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from csqm.realtime.engine import Outcome
from csqm.realtime.events import EventError

log = logging.getLogger(__name__)

#: Events merged into one batch at most (a bigger single request is still one batch).
MAX_EVENTS = 2000


#: Processes a merged batch received at the given time (the committer holds the store lock).
Process = Callable[[list[object], datetime], Outcome]


@dataclass
class _Request:
    events: list[object]
    arrived: datetime
    future: Future[Outcome] = field(default_factory=Future)


class IngressError(RuntimeError):
    """The events of a request could not be stored (nothing of them was); safe to send again."""


def _event_key(raw: object, key: str) -> str | None:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


def _local(error: EventError, start: int) -> EventError:
    """The error as its request sees it: the index (and the message's "Event N") within the request."""
    index = error.index - start
    message = error.error
    prefix = f"Event {error.index}"
    if message.startswith(prefix):
        message = f"Event {index}" + message[len(prefix) :]
    return replace(error, index=index, error=message)


def split(outcome: Outcome, requests: Sequence[Sequence[object]]) -> list[Outcome]:
    """Each request's part of ``outcome``, the outcome of its events processed as one batch in order:
    every event was accepted, a duplicate, rejected or deferred, the last three listed by index."""
    starts = [0]
    for events in requests:
        starts.append(starts[-1] + len(events))

    def owner(index: int) -> int:
        return bisect.bisect_right(starts, index) - 1

    parts = [Outcome() for _ in requests]
    rejected: set[int] = set()
    for errors, attr in ((outcome.errors, "errors"), (outcome.deferred, "deferred")):
        for error in errors:
            k = owner(error.index)
            getattr(parts[k], attr).append(_local(error, starts[k]))
            rejected.add(error.index)
    for i in outcome.duplicate_indexes:
        parts[owner(i)].duplicates += 1
    repeats = set(outcome.duplicate_indexes)
    accepted = [
        (k, _event_key(raw, "event_id") or "", raw)
        for k, events in enumerate(requests)
        for i, raw in enumerate(events, start=starts[k])
        if i not in rejected and i not in repeats
    ]
    _attribute(outcome, parts, accepted)
    return parts


def _attribute(outcome: Outcome, parts: list[Outcome], accepted: list[tuple[int, str, object]]) -> None:
    """Counts, alerts (to the request of the event that raised them) and ended conversations (to the
    requests that ended them; a conversation re-inspected for a late turn: to the requests about it)."""
    by_event: dict[str, int] = {}
    by_subject: dict[str, list[int]] = {}
    by_end: dict[str, list[int]] = {}
    for k, eid, raw in accepted:
        parts[k].accepted += 1
        by_event.setdefault(eid, k)
        subject = _event_key(raw, "conversation_id") or _event_key(raw, "contact_id") or ""
        _add(by_subject, subject, k)
        if _event_key(raw, "type") == "conversation_ended":
            _add(by_end, subject, k)
    for alert in outcome.alerts:
        raiser = by_event.get(alert.event_id or "")
        for owner in [raiser] if raiser is not None else by_subject.get(alert.subject_id, []):
            parts[owner].alerts.append(alert)
    for ids, attr in ((outcome.inspected, "inspected"), (outcome.queued, "queued")):
        for cid in ids:
            for owner in by_end.get(cid) or by_subject.get(cid, []):
                getattr(parts[owner], attr).append(cid)


def _add(index: dict[str, list[int]], key: str, k: int) -> None:
    owners = index.setdefault(key, [])
    if k not in owners:
        owners.append(k)


class GroupCommitter:
    """The queue and the committer thread (see the module doc).

    The thread starts with the first request and ends after ``idle_seconds`` without one (the next
    request starts it again), so an app that is never stopped leaves nothing running.
    ``gather_seconds``: how long a batch waits for late joiners after a busy batch (:meth:`_gather`)."""

    def __init__(
        self,
        process: Process,
        lock: Any,
        *,
        max_events: int = MAX_EVENTS,
        idle_seconds: float = 2.0,
        gather_seconds: float = 0.004,
    ) -> None:
        self.process = process
        self.lock = lock
        self.max_events = max_events
        self.idle_seconds = idle_seconds
        self.gather_seconds = gather_seconds
        self._last_size = 0
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._start = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = False
        #: Merged batches committed, requests served and events in them, how long the last 1,000
        #: batches took under the lock, ms, and all batches together, s: the share of wall time the
        #: ingress is busy is the growth of ``busy_seconds`` between two readings over the time
        #: between them; near 1 it is saturated and requests queue (the status endpoint, tests and
        #: the benchmark).
        self.batches = 0
        self.requests = 0
        self.events = 0
        self.busy_seconds = 0.0
        self.recent_ms: deque[float] = deque(maxlen=1000)
        #: Requests submitted and requests answered (or dropped) so far, for :meth:`make_way`.
        self._turns = threading.Condition()
        self._submitted = 0
        self._answered = 0
        #: How often and how long (s) other work waited in :meth:`make_way` (the status endpoint).
        self.made_way = 0
        self.made_way_seconds = 0.0
        self._resumed = 0.0

    def submit(self, events: list[object], arrived: datetime) -> Future[Outcome]:
        """Queue a request's events; the future gets its outcome, or :class:`IngressError`."""
        request = _Request(events, arrived)
        with self._turns:
            self._submitted += 1
        self._queue.put(request)
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="csqm-ingress", daemon=True)
                self._thread.start()
        return request.future

    @property
    def active(self) -> bool:
        """Whether the committer thread runs (requests arrived in the last ``idle_seconds``)."""
        return self._thread is not None

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.idle_seconds)
            except queue.Empty:
                first = None
            if first is not None:
                batch = self._gather(first)
                try:
                    self._serve(batch)
                finally:
                    self._answer(len(batch))
                if not self._stopping:
                    continue
            with self._start:
                if self._queue.empty():
                    self._thread = None
                    self._stopping = False
                    return

    def _gather(self, first: _Request) -> list[_Request]:
        """``first`` and what waits behind it; after a batch of several requests, also what arrives
        within ``gather_seconds``: clients answered by that batch send their next request a few
        milliseconds later, and without the wait they would miss this batch and form their own —
        two half batches per round, each paying the fixed cost of a batch, instead of one."""
        batch, size = [first], len(first.events)
        until = time.monotonic() + (self.gather_seconds if self._last_size > 1 else 0.0)
        while size < self.max_events:
            try:
                request = self._queue.get(timeout=max(0.0, until - time.monotonic()))
            except queue.Empty:
                break
            if request is None:  # stop() asked while requests were queued: they are served first
                continue
            batch.append(request)
            size += len(request.events)
        self._last_size = len(batch)
        # A request whose client went away (its future cancelled) before its turn is dropped: nothing
        # of it is stored. From here on the others cannot be cancelled any more.
        kept = [r for r in batch if r.future.set_running_or_notify_cancel()]
        self._answer(len(batch) - len(kept))
        return kept

    def _answer(self, n: int) -> None:
        if n:
            with self._turns:
                self._answered += n
                self._turns.notify_all()

    def make_way(self, timeout: float = 0.05, slice_seconds: float = 0.002) -> None:
        """For work of lower priority than the ingress, between its steps (the server's background
        inspection): when requests are waiting or being committed, wait until those are answered, at
        most ``timeout`` seconds, so that this thread does not compete with the committer for the
        interpreter lock meanwhile. Requests that arrive while waiting are not waited for, and the
        work runs at least ``slice_seconds`` between two waits (its steps can be far shorter than a
        batch), so it still advances under continuous load. Returns at once when nothing waits, and
        on the committer's own thread."""
        if self._answered >= self._submitted or threading.current_thread() is self._thread:
            return
        began = time.perf_counter()
        if began - self._resumed < slice_seconds:
            return
        with self._turns:
            target = self._submitted
            self._turns.wait_for(lambda: self._answered >= target, timeout)
        self._resumed = time.perf_counter()
        self.made_way += 1
        self.made_way_seconds += self._resumed - began

    def _serve(self, batch: list[_Request]) -> None:
        """Commit ``batch``; whatever goes wrong, every request gets an answer and the thread goes on."""
        if not batch:
            return
        try:
            self._commit(batch)
        except Exception as exc:  # a bug rather than the store (the store's errors are handled in _commit)
            log.exception("the real-time ingress failed")
            for request in batch:
                if not request.future.done():
                    self._fail(request, exc)

    def _commit(self, batch: list[_Request]) -> None:
        received = min(r.arrived for r in batch)
        merged = [event for request in batch for event in request.events]
        try:
            with self.lock:
                began = time.perf_counter()
                outcome = self.process(merged, received)
                parts = self._split(outcome, batch)
                took = (time.perf_counter() - began) * 1000
        except Exception as exc:
            if len(batch) == 1:
                self._fail(batch[0], exc)
            else:
                for request in batch:  # one at a time: only the requests that fail alone fail
                    self._commit([request])
            return
        self.batches += 1
        self.requests += len(batch)
        self.events += len(merged)
        self.recent_ms.append(took)
        self.busy_seconds += took / 1000
        for request, part in zip(batch, parts, strict=True):
            if isinstance(part, Exception):
                request.future.set_exception(part)
            else:
                request.future.set_result(part)

    def _split(self, outcome: Outcome, batch: list[_Request]) -> list[Outcome | Exception]:
        try:
            return list(split(outcome, [r.events for r in batch]))
        except Exception as exc:  # stored, but not reportable: say so (sending again is safe)
            log.error("the outcome of a real-time batch could not be split: %s", type(exc).__name__)
            error = IngressError(
                f"The events were processed but their outcome could not be reported ({type(exc).__name__}); "
                "sending them again is safe: events already stored count as duplicates."
            )
            return [error for _ in batch]

    def _fail(self, request: _Request, exc: Exception) -> None:
        log.error("real-time events could not be stored: %s", type(exc).__name__)  # no event data in logs
        request.future.set_exception(
            IngressError(
                f"The events could not be stored ({type(exc).__name__}); nothing of this request was kept, "
                "send it again."
            )
        )

    def stop(self, timeout: float = 5.0) -> None:
        """Serve what is queued, then end the thread (waiting at most ``timeout`` seconds)."""
        thread = self._thread
        if thread is not None:
            self._stopping = True
            self._queue.put(None)
            thread.join(timeout)
