"""The real-time processor: events in, conversations stored, turns evaluated as they arrive, alerts out.

:class:`Processor` handles a batch of events in one transaction (all of it or nothing):

1. validate every event (a bad one gets an error naming its index and field; the rest go on);
2. drop events whose id was already accepted (idempotency: the ``realtime_events`` log; on the
   embedded store, ids this process accepted lately are known from memory and the tables' primary
   keys catch the rest, the batch then running again with every id looked up: :attr:`optimistic`);
3. store conversations in ``interactions`` and masked turns in ``utterances`` (batch tools see them);
4. evaluate each new turn: threat words, the customer's emotion trend, and the real-time rules of the
   inspection packs (run by the batch engine on the new turns);
5. when a conversation ends, inspect it with the full packs exactly as ``csqm inspect`` does and store
   its result and findings (so they are identical);
6. store the alerts that are not duplicates, then tell the listeners (board, NATS) after the commit.

The per-conversation state lives in the store (interaction row, stored turns, the customer's polarity
per turn in ``realtime_events``), read in bulk once per batch: any worker can continue any conversation,
and a worker killed mid-batch loses nothing (its transaction rolls back and the events come again).
A process that is the only writer of its conversations keeps them in memory too (:mod:`.state`).
:meth:`Processor.tick` runs the timers (chat SLA, queue wait, live queue KPIs) with an injectable clock.
"""

from __future__ import annotations

import bisect
import copy
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa

from csqm.inspection import Inspector, Packs, load_packs
from csqm.inspection import storage as inspection_storage
from csqm.inspection.batch import Batch
from csqm.inspection.detectors import kernels
from csqm.inspection.sentiment import sentiment_scores
from csqm.inspection.tables import INSPECTION_FINDINGS, INSPECTION_RESULTS
from csqm.metrics import Catalogue, load_catalogue
from csqm.privacy import Masker
from csqm.realtime.alerts import Alert, alerted_sql, candidate, store_alerts
from csqm.realtime.config import RealtimeConfig, check_rules, load_config, realtime_packs
from csqm.realtime.events import (
    ConversationEnded,
    ConversationStarted,
    Event,
    EventError,
    QueueEvent,
    Utterance,
    parse_events,
    utcnow,
)
from csqm.realtime.kpis import kpi_alerts
from csqm.realtime.recent import RecentIds
from csqm.realtime.state import (
    CONV_COLS,
    INTERACTIONS,
    TS,
    UPDATABLE,
    UTTERANCES,
    Conv,
    Stored,
    Turn,
    clean,
    memory_batch,
    turn_batch,
)
from csqm.realtime.tables import REALTIME_EVENTS, REALTIME_PENDING, REALTIME_QUEUE, ensure_tables
from csqm.realtime.writes import append, delete_keyed, delete_rows, keyed, update_rows, upsert
from csqm.settings import Settings
from csqm.store import Store
from csqm.store.rows import records

log = logging.getLogger(__name__)
# The timers' alert kinds: the candidates and the SQL that leaves out what was alerted must agree.
CHAT_SLA = "chat_sla"
QUEUE_WAIT = "queue_wait"

Listener = Callable[[list[Alert]], None]
Clock = Callable[[], datetime]


class _LookUp(Exception):
    """The optimistic run of a batch (:attr:`Processor.optimistic`) met something an event sent
    again would explain; the batch is run again with every event id looked up."""


@dataclass
class Outcome:
    """What a batch did: accepted, duplicate and rejected events, deferred ones (sent too early: a
    worker retries them later), alerts raised and conversations inspected."""

    accepted: int = 0
    duplicates: int = 0
    #: Which events (indexes in the batch) were the duplicates, for callers that merged several
    #: senders' events into one batch and answer each its own part (:mod:`csqm.realtime.ingress`).
    duplicate_indexes: list[int] = field(default_factory=list)
    errors: list[EventError] = field(default_factory=list)
    deferred: list[EventError] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    inspected: list[str] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "errors": [e.as_dict() for e in [*self.errors, *self.deferred]],
            "alerts": [a.as_dict() for a in self.alerts],
            "inspected": self.inspected,
            "queued_for_inspection": self.queued,
        }


class Processor:
    """Real-time processing on ``store`` (see the module doc). ``clock`` gives "now" (UTC, naive)."""

    def __init__(
        self,
        store: Store,
        *,
        settings: Settings | None = None,
        config: RealtimeConfig | None = None,
        packs: Packs | None = None,
        catalogue: Catalogue | None = None,
        clock: Clock = utcnow,
        webhook: bool = False,
        lock_conversations: bool | None = None,
        cache: bool | None = None,
        cache_size: int = 100_000,
    ) -> None:
        self.store = store
        self.config = config or load_config()
        self.packs = packs or load_packs()
        check_rules(self.config, self.packs)
        self.inspector = Inspector(self.packs)
        self.turn_inspector = Inspector(realtime_packs(self.config, self.packs))
        self.catalogue = catalogue or load_catalogue()
        self.clock = clock
        self.webhook = webhook
        settings = settings or Settings.from_env()
        self.masker = Masker(settings.secret_key(), keep_raw=False)
        self.listeners: list[Listener] = []
        self.lock_conversations = store.dialect == "postgres" if lock_conversations is None else lock_conversations
        self._threats = tuple(w.lower() for w in self.config.threat_words)
        # Conversation state kept in memory between batches: only when this process is the only
        # writer of those conversations (the embedded store; a NATS worker for its own partitions,
        # which turns it on and calls forget() when they change hands).
        self.cache = (not self.lock_conversations) if cache is None else cache
        self.cache_size = cache_size
        self._cache: OrderedDict[str, Conv] = OrderedDict()
        #: Inspect ended conversations inside the batch's transaction (True), or queue them for
        #: :meth:`inspect_pending` (the server's background thread), which keeps requests short.
        self.inline_inspection = True
        #: Queued conversations whose turns were all in memory, handed to :meth:`inspect_pending` (the
        #: background thread, through :meth:`on`'s shared reference) once their batch is committed,
        #: so it inspects them without reading them back; at most ``cache_size`` of them.
        self._handed: dict[str, Conv] = {}
        self._handed_lock = threading.Lock()
        self._handing: tuple[dict[str, Conv], list[str]] = ({}, [])
        #: The embedded store has one writer, this process: an event id is known to be a duplicate
        #: when this process accepted it lately (:attr:`_recent`); any other duplicate is caught by
        #: the event log's primary key, and the batch is run again with every id looked up. Saves
        #: the look-up (~2 ms of a 16 ms batch of 160 events). PostgreSQL always looks them up
        #: (workers redeliver after a crash, and the look-up is cheap there).
        self.optimistic = store.dialect == "duckdb"
        self._recent = RecentIds()
        #: Called between the steps of a queued inspection (before each rule and each read or
        #: write): the server's background processor gives way to the ingress there
        #: (:meth:`~csqm.realtime.ingress.GroupCommitter.make_way`); nothing elsewhere. Not while
        #: the oldest conversation of the chunk has waited longer than ``make_way_lag`` seconds:
        #: the inspection then competes with the ingress until it has caught up, so that its queue
        #: cannot grow without end under a sustained load.
        self.make_way: Callable[[], None] | None = None
        self.make_way_lag = 3.0
        self._giving_way = False
        self._accepted: list[str] = []
        self._touched: list[str] = []
        ensure_tables(store)
        with store.transaction():
            inspection_storage.record_rules(store, self.packs, self.clock())

    def on(self, store: Store) -> Processor:
        """This processor working on ``store``, another connection to the same database: the
        server's background thread runs the timers and the queued inspections there, in their own
        transactions, while the ingress commits on the first. Configuration, packs, inspectors and
        listeners are shared; the conversation cache is not (neither needs it)."""
        other = copy.copy(self)
        other.store = store
        other.cache = False
        other._cache = OrderedDict()
        return other

    def warm_up(self) -> None:
        """Run masking, sentiment and both inspectors once on two made-up conversations (nothing is
        stored), so that the first real batch does not pay for compiling and loading them (about a
        second, which would otherwise be the first alerts' latency)."""
        samples = [
            ("__warm_up_zh__", "zh", ["你好，我要投诉，电话 13812345678", "您好，请问有什么可以帮您？"]),
            ("__warm_up_en__", "en", ["Hello, I want to file a complaint", "Sorry, how can I help you?"]),
        ]
        convs: list[tuple[str, dict[str, Any], list[Stored]]] = []
        for cid, language, texts in samples:
            masked, kinds = self.masker.mask_texts(texts)
            sentiment_scores(masked)
            speakers = ("customer", "agent")
            turns: list[Stored] = [
                (i + 1, speakers[i % 2], 5.0 * i, t or "", k)
                for i, (t, k) in enumerate(zip(masked, kinds, strict=True))
            ]
            row: dict[str, Any] = {"channel": "chat", "topic": None, "language": language, "hold_seconds": None}
            convs.append((cid, row, turns))
        batch = memory_batch(convs)
        kernels.warm_up()  # what the samples do not reach (a regex hit, say)
        self.inspector.run(batch)
        if self.turn_inspector.rules:
            self.turn_inspector.run(batch)

    # -- events ---------------------------------------------------------------------------------
    def process(self, raw: Sequence[object], *, received_at: datetime | None = None) -> Outcome:
        """Validate, store and evaluate a batch of raw events (dicts); see :class:`Outcome`."""
        received = received_at or self.clock()
        good, errors = parse_events(raw)
        repeats: list[int] = []
        seen: set[str] = set()
        unique: list[tuple[int, Event]] = []
        for i, event in good:
            if event.event_id in seen:
                repeats.append(i)
            else:
                seen.add(event.event_id)
                unique.append((i, event))

        def outcome() -> Outcome:  # what the events rejected or repeated before the store say
            return Outcome(errors=list(errors), duplicate_indexes=list(repeats))

        out = outcome()
        if unique:
            try:
                convs = self._commit(unique, received, out, careful=not self.optimistic)
            except Exception as exc:
                if not (self.optimistic and (isinstance(exc, _LookUp) or self.store.is_key_conflict(exc))):
                    raise
                # An event this process does not remember may have been stored before (accepted
                # before it started, or longer ago than it remembers): nothing of the batch was
                # kept; again, with every event id looked up.
                log.info("a real-time batch met a stored key; processing it again with every key checked")
                out = outcome()
                convs = self._commit(unique, received, out, careful=True)
            self._remember(convs)
            self._recent.add(self._accepted)
            self._hand_over()
        out.duplicate_indexes.sort()
        out.duplicates = len(out.duplicate_indexes)
        self._notify(out.alerts)
        return out

    def _commit(
        self, unique: list[tuple[int, Event]], received: datetime, out: Outcome, *, careful: bool
    ) -> dict[str, Conv]:
        """One transaction for the batch. ``careful``: look every event id up in the event log and
        upsert every queue entry; otherwise (:attr:`optimistic`) an id is a duplicate when this
        process accepted it lately, and the primary keys catch any other (the batch then fails
        with a key conflict and :meth:`process` runs it again, carefully)."""
        self._touched = []
        try:
            # Pipelined on PostgreSQL: the statements go out without waiting for each answer, only
            # for the rows read and at the commit (why: csqm.store.postgres_store).
            with self.store.pipelined(), self.store.transaction():
                self._lock([e.subject for _, e in unique])
                ids = [e.event_id for _, e in unique]
                known = self._known_ids(ids) if careful else {i for i in ids if i in self._recent}
                fresh = [(i, e) for i, e in unique if e.event_id not in known]
                out.duplicate_indexes += [i for i, e in unique if e.event_id in known]
                return self._apply(fresh, received, out, careful=careful)
        except BaseException:
            # The conversations of the batch were changed in place in memory and the transaction
            # rolled back (the commit included): they are read from the store next time.
            for cid in self._touched:
                self._cache.pop(cid, None)
            self._handing = ({}, [])
            raise

    def _lock(self, subjects: list[str]) -> None:
        """PostgreSQL: serialise work on the same conversations across workers (sorted: no deadlock)."""
        if not self.lock_conversations or not subjects:
            return
        self.store.execute(  # no answer awaited in a pipeline: the next read waits for the locks
            "SELECT count(pg_advisory_xact_lock(k)) FROM "
            "(SELECT DISTINCT hashtextextended(x, 0) AS k FROM unnest(?::text[]) AS x ORDER BY 1) AS s",
            [sorted(set(subjects))],
        )

    def _try_lock(self, key: str) -> bool:
        """PostgreSQL: take ``key``'s transaction lock if free (the key space of :meth:`_lock`);
        False when another worker holds it, instead of waiting for it."""
        if not self.lock_conversations:
            return True
        return bool(self.store.rows("SELECT pg_try_advisory_xact_lock(hashtextextended(?, 0))", [key])[0][0])

    def _known_ids(self, ids: list[str]) -> set[str]:
        source, params = keyed(self.store, REALTIME_EVENTS.name, "event_id", ids)
        rows = self.store.rows(f'SELECT t."event_id" FROM {source}', params)
        return {str(r[0]) for r in rows}

    def forget(self) -> None:
        """Drop the in-memory conversation state (another process may have changed it)."""
        self._cache.clear()

    def _remember(self, convs: dict[str, Conv]) -> None:
        if not self.cache:
            return
        for cid, conv in convs.items():
            conv.new = conv.changed = False
            self._cache[cid] = conv
            self._cache.move_to_end(cid)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _load(self, wanted: list[str], *, exact: bool = True) -> dict[str, Conv]:
        """The state of ``wanted`` conversations: from memory, else read from the store (their row
        and turn numbers; their turns themselves are read only if they end, for the inspection).

        DuckDB finds a conversation's turn numbers by scanning ``utterances`` (no index on the
        conversation alone): 3.9 ms for 10 conversations at 2.4M turns, growing with the table.
        With ``exact`` False (the optimistic run) it reads only turns spoken since a day before the
        earliest of the conversations was offered, which the table's zone maps find without the
        scan (1.0 ms, flat): a turn number it misses (a sender's clock a day off) makes a resent
        turn meet the utterances' primary key, and an end whose count looks short run the batch
        again, carefully."""
        cached = {c: self._cache[c] for c in wanted if c in self._cache}
        conv_ids = [c for c in wanted if c not in cached]
        if not conv_ids:
            return cached
        names = (*CONV_COLS, "abandoned")
        cols = ", ".join(f'i."{c}"' for c in names)
        source, params = keyed(self.store, "interactions", "interaction_id", conv_ids, alias="i")
        seqs: dict[str, list[int]] | None = None
        if not exact and self.store.dialect == "duckdb":
            rows = self.store.rows(f"SELECT {cols} FROM {source}", params)
            seqs = self._recent_seqs(rows, names.index("offered_at"))
        if seqs is None:
            numbers = '(SELECT array_agg(u."seq") FROM "utterances" u WHERE u."interaction_id" = i."interaction_id")'
            found = self.store.rows(f"SELECT {cols}, {numbers} FROM {source}", params)
            rows = [r[:-1] for r in found]
            exact, seqs = True, {str(r[0]): list(r[-1]) for r in found if r[-1] is not None}
        convs: dict[str, Conv] = {}
        for r in rows:
            conv = Conv({k: clean(v) for k, v in zip(names, r, strict=True)}, new=False, exact=exact)
            conv.seqs.update(int(s) for s in seqs.get(str(r[0]), ()))
            convs[str(r[0])] = conv
        return {**cached, **convs}

    def _recent_seqs(self, rows: list[tuple[Any, ...]], offered_at: int) -> dict[str, list[int]] | None:
        """The turn numbers of the conversations of ``rows`` spoken since a day before the earliest
        of them was offered (see :meth:`_load`); None when one has no offer time to go by."""
        offered = [r[offered_at] for r in rows]
        if not rows or any(o is None for o in offered):
            return None
        since = min(clean(o) for o in offered) - timedelta(days=1)
        source, params = keyed(self.store, "utterances", "interaction_id", [str(r[0]) for r in rows], "u")
        seqs: dict[str, list[int]] = {}
        sql = f'SELECT u."interaction_id", u."seq" FROM {source} AND u."spoken_at" >= ?'
        for cid, seq in self.store.rows(sql, [*params, since]):
            seqs.setdefault(str(cid), []).append(int(seq))
        return seqs

    def _apply(
        self, fresh: list[tuple[int, Event]], received: datetime, out: Outcome, *, careful: bool
    ) -> dict[str, Conv]:
        conv_ids = sorted({e.conversation_id for _, e in fresh if not isinstance(e, QueueEvent)})
        self._touched = conv_ids
        # Optimistic: a conversation this batch starts is new unless this process knows it. If it
        # was stored before all the same, its start is rejected as already started (which runs the
        # batch again, carefully) or its row meets the interactions' primary key (likewise).
        starting = set() if careful else {e.conversation_id for _, e in fresh if isinstance(e, ConversationStarted)}
        convs = self._load([c for c in conv_ids if c not in starting or c in self._cache], exact=careful)
        turns: list[Turn] = []
        ended: list[str] = []
        reinspect: set[str] = set()
        accepted: list[tuple[Event, datetime, Turn | None]] = []
        queue_events: list[tuple[QueueEvent, datetime]] = []

        def reject(i: int, e: Event, message: str, *, retry: bool = False, again: bool = False) -> None:
            if again and not careful:
                # What was received already may be this very event, sent again (a duplicate, not
                # an error) by a sender this process does not remember: look its id up.
                raise _LookUp
            err = EventError(i, e.event_id, f"Event {i} ({e.type}): {message}", retry)
            (out.deferred if retry else out.errors).append(err)

        for i, e in fresh:
            at = e.at or received
            if isinstance(e, QueueEvent):
                queue_events.append((e, at))
                accepted.append((e, at, None))
                continue
            conv = convs.get(e.conversation_id)
            if isinstance(e, ConversationStarted):
                if conv is not None:
                    reject(i, e, f"conversation {e.conversation_id!r} was already started.", again=True)
                    continue
                row: dict[str, Any] = {c: None for c in CONV_COLS}
                row.update({k: v for k, v in e.model_dump().items() if k in CONV_COLS})
                row.update(interaction_id=e.conversation_id, offered_at=at)
                convs[e.conversation_id] = Conv(row, new=True, polar={}, turns={})
            elif conv is None:
                reject(i, e, f"conversation {e.conversation_id!r} has not started yet.", retry=True)
                continue
            elif isinstance(e, Utterance):
                if e.seq in conv.seqs:
                    twice = f"turn {e.seq} of conversation {e.conversation_id!r} was already received."
                    reject(i, e, twice, again=True)
                    continue
                offered = conv.row["offered_at"]
                offset = e.offset_seconds
                if offset is None:
                    offset = max(0.0, (at - offered).total_seconds()) if offered is not None else 0.0
                conv.seqs.add(e.seq)
                turn = Turn(i, e, at, float(offset), conv)
                turns.append(turn)
                if conv.row["ended_at"] is not None:
                    reinspect.add(e.conversation_id)
                answered = conv.row["answered_at"]
                if e.speaker == "agent" and (answered is None or at < answered):  # turns may come out of order
                    conv.row["answered_at"] = at
                    if conv.row["channel"] != "phone" and offered is not None:
                        conv.row["first_response_seconds"] = max(0.0, (at - offered).total_seconds())
                    conv.changed = True
                accepted.append((e, at, turn))
                continue
            elif isinstance(e, ConversationEnded):
                if conv.row["ended_at"] is not None:
                    reject(i, e, f"conversation {e.conversation_id!r} already ended.", again=True)
                    continue
                if e.utterances is not None and len(conv.seqs) < e.utterances:
                    if not conv.exact and not careful:
                        raise _LookUp  # its turns may have been read in part (see _load)
                    reject(
                        i,
                        e,
                        f"only {len(conv.seqs)} of the {e.utterances} turns of conversation "
                        f"{e.conversation_id!r} have arrived; send the end again after them.",
                        retry=True,
                    )
                    continue
                row = conv.row
                row["ended_at"] = at
                for key in ("hold_seconds", "acw_seconds", "transfers", "resolved", "escalated"):
                    value = getattr(e, key)
                    if value is not None:
                        row[key] = value
                if row["answered_at"] is not None:
                    row["talk_seconds"] = max(0.0, (at - row["answered_at"]).total_seconds())
                elif row["channel"] == "phone":
                    row["abandoned"] = True
                conv.changed = True
                ended.append(e.conversation_id)
            accepted.append((e, at, None))

        self._mask_and_score(turns)
        self._write_conversations(convs, turns)
        self._write_events(accepted, received)
        contacts = self._write_queue(queue_events)
        out.accepted = len(accepted)
        self._accepted = [e.event_id for e, _, _ in accepted]
        alerts = self._turn_alerts(turns, received)
        alerts += self._queue_alerts(queue_events, contacts, received)
        todo = sorted(set(ended) | reinspect)
        if todo and self.inline_inspection:
            self._inspect_ended({cid: convs[cid] for cid in todo})
            out.inspected = todo
        elif todo:
            self._queue_inspections(todo, set() if careful else set(ended), received)
            out.queued = todo
            ready = {
                cid: Conv(dict(convs[cid].row), new=False, turns=convs[cid].turns)
                for cid in todo
                if convs[cid].turns is not None
            }
            self._handing = (ready, [cid for cid in todo if cid not in ready])
        for cid in ended:  # inspected or queued: its turns need not stay in memory any longer
            convs[cid].turns = None
        out.alerts = store_alerts(
            self.store, alerts, now=self.clock(), window_seconds=self.config.dedup_window_seconds, webhook=self.webhook
        )
        return convs

    def _queue_inspections(self, todo: list[str], first: set[str], received: datetime) -> None:
        """Queue ``todo`` for :meth:`inspect_pending`. ``first``: those that ended in this batch,
        whose entry cannot exist yet (an entry is made only once a conversation has ended, and it
        ends once), appended, which costs half an upsert on the embedded store; the others
        (a late turn of an ended conversation) are upserted. A stale entry after all is a key
        conflict: the batch runs again, carefully (:meth:`process`)."""
        new = [cid for cid in todo if cid in first]
        if new:
            append(self.store, REALTIME_PENDING, {"interaction_id": new, "queued_at": [received] * len(new)})
        again = [cid for cid in todo if cid not in first]
        if again:
            upsert(
                self.store,
                REALTIME_PENDING,
                {"interaction_id": again, "queued_at": [received] * len(again)},
                update=("queued_at",),
            )

    # -- turns ----------------------------------------------------------------------------------
    def _mask_and_score(self, turns: list[Turn]) -> None:
        if not turns:
            return
        masked, kinds = self.masker.mask_texts([t.event.text for t in turns])
        for turn, text, pii in zip(turns, masked, kinds, strict=True):
            turn.text, turn.pii = text, pii
        customer = [t for t in turns if t.event.speaker == "customer"]
        if customer:
            scores = sentiment_scores([t.text for t in customer])
            for turn, score in zip(customer, scores, strict=True):
                turn.polarity = round(float(score), 6)
        for t in turns:
            if t.conv.turns is not None:
                t.conv.turns[t.event.seq] = (t.event.seq, t.event.speaker, t.offset, t.text or "", t.pii)

    def _write_conversations(self, convs: dict[str, Conv], turns: list[Turn]) -> None:
        new = [c.row for c in convs.values() if c.new]
        if new:  # appended
            append(self.store, INTERACTIONS, {c: [r.get(c) for r in new] for c in (*CONV_COLS, "abandoned")})
        changed = [c.row for c in convs.values() if c.changed and not c.new]
        if changed:  # updated in one statement
            cols = ("interaction_id", *UPDATABLE)
            update_rows(self.store, INTERACTIONS, {c: [r.get(c) for r in changed] for c in cols}, update=UPDATABLE)
        if turns:
            append(
                self.store,
                UTTERANCES,
                {
                    "interaction_id": [t.event.conversation_id for t in turns],
                    "seq": [t.event.seq for t in turns],
                    "speaker": [t.event.speaker for t in turns],
                    "spoken_at": [t.at for t in turns],
                    "offset_seconds": [t.offset for t in turns],
                    "text": [t.text for t in turns],
                    "pii_kinds": [t.pii for t in turns],
                },
            )

    def _write_events(self, accepted: list[tuple[Event, datetime, Turn | None]], received: datetime) -> None:
        if not accepted:
            return
        append(
            self.store,
            REALTIME_EVENTS,
            {
                "event_id": [e.event_id for e, _, _ in accepted],
                "event_type": [e.type for e, _, _ in accepted],
                "subject_id": [e.subject for e, _, _ in accepted],
                "seq": [t.event.seq if t else None for _, _, t in accepted],
                "speaker": [t.event.speaker if t else None for _, _, t in accepted],
                "polarity": [t.polarity if t else None for _, _, t in accepted],
                "occurred_at": [at for _, at, _ in accepted],
                "received_at": [received] * len(accepted),
            },
        )

    def _turn_alerts(self, turns: list[Turn], received: datetime) -> list[Alert]:
        if not turns:
            return []
        alerts: list[Alert] = []
        for t in turns:
            if t.event.speaker != "customer" or not t.text:
                continue
            low = t.text.lower()
            hit = next((w for w in self._threats if w in low), None)
            if hit is not None:
                alerts.append(self._conv_alert("threat_words", t, received, "critical", f"客户提到「{hit}」", t.text))
        alerts += self._emotion_alerts(turns, received)
        alerts += self._rule_alerts(turns, received)
        return alerts

    def _conv_alert(self, kind: str, t: Turn, received: datetime, severity: str, what: str, evidence: str) -> Alert:
        row = t.conv.row
        return candidate(
            kind,
            t.event.conversation_id,
            basis=t.event.event_id,
            severity=severity,
            message=f"{what} (conversation {t.event.conversation_id}, turn {t.event.seq}).",
            evidence=evidence[:300],
            queue=row.get("queue"),
            team_id=row.get("team_id"),
            agent_id=row.get("agent_id"),
            event_id=t.event.event_id,
            received_at=received,
        )

    def _emotion_alerts(self, turns: list[Turn], received: datetime) -> list[Alert]:
        """``turns`` consecutive customer turns (by seq) at or below ``below``.

        A run counts once every turn number from its first turn to its last has arrived (turns are
        numbered 1, 2, 3 … in a conversation): until then a turn between them may be the
        customer's, and break it (after a worker dies, a batch of its turns comes again after later
        ones). Every run that contains a new turn is checked, the agent's too when it arrived after
        a later turn (it may be the one that closes the gap), so the alert is raised once the run is
        complete, whatever order the turns came in."""
        rule = self.config.emotion
        relevant = [t for t in turns if t.polarity is not None or t.event.seq < max(t.conv.seqs)]
        if not relevant:
            return []
        missing = sorted({t.event.conversation_id for t in relevant if t.conv.polar is None})
        loaded: dict[str, dict[int, float]] = {cid: {} for cid in missing}
        if missing:
            source, params = keyed(self.store, REALTIME_EVENTS.name, "subject_id", missing)
            stored = self.store.rows(
                f'SELECT t."subject_id", t."seq", t."polarity" FROM {source} '
                "AND t.\"event_type\" = 'utterance' AND t.\"speaker\" = 'customer'",
                params,
            )
            for cid, seq, pol in stored:
                if pol is not None and not pd.isna(pol):
                    loaded[str(cid)][int(seq)] = float(pol)
        for t in relevant:
            if t.conv.polar is None:
                t.conv.polar = loaded[t.event.conversation_id]
            if t.polarity is not None:
                t.conv.polar[t.event.seq] = float(t.polarity)
        # each complete negative run that holds a new turn, with the turn that arrived last in its
        # span (the one that completed it)
        k = rule.turns
        runs: dict[tuple[str, int], tuple[Turn, list[int]]] = {}
        for t in relevant:  # in arrival order
            mine, arrived, at = t.conv.polar or {}, t.conv.seqs, t.event.seq
            seqs = sorted(mine)
            for first in range(max(0, bisect.bisect_left(seqs, at) - k + 1), bisect.bisect_right(seqs, at)):
                run = seqs[first : first + k]
                if len(run) < k or not all(mine[q] <= rule.below for q in run):
                    continue
                if all(q in arrived for q in range(run[0], run[-1] + 1)):
                    runs[(t.event.conversation_id, run[0])] = (t, run)
        alerts = []
        raised: set[int] = set()
        for t, run in sorted(runs.values(), key=lambda found: (found[0].index, found[1][0])):
            if t.index in raised:  # one alert per turn
                continue
            raised.add(t.index)
            mine = t.conv.polar or {}
            what = "客户情绪升级 polarity " + ", ".join(f"{mine[q]:+.2f}" for q in run)
            evidence = t.text if t.polarity is not None else what
            alerts.append(self._conv_alert("emotion", t, received, "warning", what, evidence or ""))
        return alerts

    def _rule_alerts(self, turns: list[Turn], received: datetime) -> list[Alert]:
        """The real-time rules of the packs, run by the inspection engine on the new turns only."""
        if not self.turn_inspector.rules or not turns:
            return []
        result = self.turn_inspector.run(turn_batch(turns))
        by_key = {(t.event.conversation_id, t.event.seq): t for t in turns}
        alerts = []
        for i in range(result.n_findings):
            finding = result.finding(i)
            turn = by_key.get((finding.interaction_id, finding.seq if finding.seq is not None else -1))
            if turn is None:
                continue
            rule = self.packs.rule(finding.rule_id).rule
            severity = "critical" if finding.severity == "fatal" else "warning"
            alerts.append(
                self._conv_alert(f"rule:{rule.id}", turn, received, severity, f"{rule.name_zh}", finding.evidence)
            )
        return alerts

    # -- inspection at the end -------------------------------------------------------------------
    def _inspect_ended(self, convs: dict[str, Conv]) -> None:
        """Inspect ended conversations with the full packs. Those whose every turn is in memory (started
        in this process) are inspected from there: the batch is what ``Batch.from_frames`` makes of
        their stored rows, so the results are the same (tested against ``csqm inspect``), without
        reading back what was just written. The others are read back, exactly as ``csqm inspect`` does."""
        known = {cid: c.turns for cid, c in convs.items() if c.turns is not None}
        rest = [cid for cid in convs if cid not in known]
        if rest:
            self._inspect(rest)
        if not known:
            return
        batch = memory_batch([(cid, convs[cid].row, sorted(turns.values())) for cid, turns in known.items()])
        result = self.inspector.run(batch, between=self._give_way)
        self._give_way()
        results, findings = inspection_storage.result_tables(result, self.packs.version, self.clock())
        offered = [convs[cid].row["offered_at"] for cid in results.column("interaction_id").to_pylist()]
        results = results.append_column("offered_at", pa.array(offered, TS))
        self._give_way()
        ids = list(known)
        drop_findings, params_f = delete_keyed(self.store, INSPECTION_FINDINGS.name, "interaction_id", ids)
        drop_results, params_r = delete_keyed(self.store, INSPECTION_RESULTS.name, "interaction_id", ids)
        if self.store.dialect == "postgres":  # both deletes in one round trip
            self.store.execute(f"WITH f AS ({drop_findings}) {drop_results}", params_f + params_r)
        else:
            self.store.execute(drop_findings, params_f)
            self.store.execute(drop_results, params_r)
        self.store.load_arrow(INSPECTION_RESULTS.name, results)
        self.store.load_arrow(INSPECTION_FINDINGS.name, findings)

    def _inspect(self, ids: list[str]) -> None:
        """Inspect ended conversations with the full packs, as ``csqm inspect`` does (same code)."""
        interactions, utterances = inspection_storage.fetch(self.store, ids)
        self._give_way()
        result = self.inspector.run(Batch.from_frames(interactions, utterances), between=self._give_way)
        self._give_way()
        results, rows = inspection_storage.result_tables(result, self.packs.version, self.clock())
        self._give_way()
        inspection_storage.replace(self.store, ids, results, rows)

    def _give_way(self) -> None:
        if self._giving_way:
            self.yield_to_ingress()

    def yield_to_ingress(self) -> None:
        """Give way (:attr:`make_way`) whatever the lag: for the timers and the board's refresh,
        whose work does not pile up."""
        if self.make_way is not None:
            self.make_way()

    def _hand_over(self) -> None:
        """After a commit: the queued conversations known in memory become the background's; one
        queued again without its turns (a late turn after it was handed over) is taken back, so
        that it is read from the store with that turn."""
        ready, unknown = self._handing
        self._handing = ({}, [])
        if not ready and not unknown:
            return
        with self._handed_lock:
            for cid in unknown:
                self._handed.pop(cid, None)
            if len(self._handed) + len(ready) <= self.cache_size:
                self._handed.update(ready)

    def inspect_pending(self, limit: int = 20_000, *, lock: Any = None) -> list[str]:
        """Inspect the queued ended conversations; returns their ids.

        A conversation queued again while this runs (a late turn, which the ingress commits on its
        own connection meanwhile) keeps its queue entry, which names a later time than the one read
        here: it is inspected again, with that turn, next time. ``lock``, the ingress's lock in the
        server: the queue entries are then removed in a second, short transaction that holds it, so
        that no ingress commit falls between reading them and removing them (the embedded store
        would otherwise remove an entry queued again after this transaction began). Without it, one
        transaction (PostgreSQL re-reads an entry changed meanwhile before removing it)."""
        with self.store.pipelined(), self.store.transaction():  # the results' writes go out unanswered
            self._lock(["__csqm_inspections__"])
            queued = self.store.rows(
                f'SELECT "interaction_id", "queued_at" FROM "{REALTIME_PENDING.name}" '
                f'ORDER BY "queued_at" LIMIT {int(limit)}'
            )
            ids = sorted(str(cid) for cid, _ in queued)
            if ids:
                waited = (self.clock() - min(clean(q) for _, q in queued)).total_seconds()
                self._giving_way = waited <= self.make_way_lag
                self._give_way()
                with self._handed_lock:  # in memory if handed over, else read back
                    convs = {cid: self._handed.pop(cid) if cid in self._handed else Conv({}, new=False) for cid in ids}
                self._inspect_ended(convs)
            if ids and lock is None:
                self._unqueue(queued)
        if ids and lock is not None:
            with lock, self.store.pipelined(), self.store.transaction():  # one wait, not three, under the lock
                self._unqueue(queued)
        return ids

    def _unqueue(self, queued: list[tuple[Any, ...]]) -> None:
        """Remove the queue entries that still name the time read (see :meth:`inspect_pending`)."""
        entries = {"interaction_id": [str(c) for c, _ in queued], "queued_at": [clean(q) for _, q in queued]}
        delete_rows(self.store, REALTIME_PENDING, entries)

    # -- queues -----------------------------------------------------------------------------------
    def _write_queue(self, events: list[tuple[QueueEvent, datetime]]) -> dict[str, dict[str, Any]]:
        """Merge the batch's queue events per contact and upsert them in one statement (a value the batch
        does not set keeps the stored one); returns the resulting rows by contact id."""
        if not events:
            return {}
        column = {"queue_offered": "offered_at", "queue_answered": "answered_at", "queue_abandoned": "abandoned_at"}
        cols = [c.name for c in REALTIME_QUEUE.columns]
        rows: dict[str, dict[str, Any]] = {}
        for e, at in events:
            row = rows.setdefault(e.contact_id, {c: None for c in cols} | {"contact_id": e.contact_id})
            for key in ("queue", "team_id", "channel"):
                if getattr(e, key) is not None:
                    row[key] = getattr(e, key)
            row[column[e.type]] = at
        data = {c: [r.get(c) for r in rows.values()] for c in cols}
        stored = upsert(self.store, REALTIME_QUEUE, data, update=cols[1:], coalesce=True, returning=True)
        return {str(r[0]): {c: clean(v) for c, v in zip(cols, r, strict=True)} for r in stored}

    def _queue_alerts(
        self, events: list[tuple[QueueEvent, datetime]], contacts: dict[str, dict[str, Any]], received: datetime
    ) -> list[Alert]:
        """A contact answered after waiting longer than the threshold (still-waiting ones: :meth:`tick`).
        Checked on the offer too, in case the answer arrived first."""
        limit = self.config.sla.queue_wait_seconds
        by_id = {e.contact_id: e for e, _ in events if e.type in ("queue_offered", "queue_answered")}
        alerts = []
        for cid in sorted(by_id):
            r = contacts.get(cid)
            if r is None or r["offered_at"] is None or r["answered_at"] is None:
                continue
            wait = (pd.Timestamp(r["answered_at"]) - pd.Timestamp(r["offered_at"])).total_seconds()
            if wait > limit:
                alerts.append(self._wait_alert(r, wait, by_id[cid].event_id, received))
        return alerts

    def _wait_alert(self, r: dict[str, Any], wait: float, event_id: str | None, received: datetime | None) -> Alert:
        return candidate(
            QUEUE_WAIT,
            str(r["contact_id"]),
            basis="wait",
            severity="warning",
            message=f"排队等待 {wait:.0f} 秒，超过 {self.config.sla.queue_wait_seconds:.0f} 秒 "
            f"(contact {r['contact_id']}, queue {r.get('queue')}).",
            evidence=f"wait_seconds={wait:.1f}",
            queue=clean(r.get("queue")),
            team_id=clean(r.get("team_id")),
            event_id=event_id,
            received_at=received,
        )

    # -- timers -----------------------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> list[Alert]:
        """Run the timers at ``now`` (default the clock): chats not answered in time, contacts waiting
        too long in a queue, live queue KPIs off target. Returns the alerts stored."""
        now = now or self.clock()
        sla = self.config.sla
        with self.store.transaction():
            if not self._try_lock("__csqm_timers__"):
                return []  # another worker is running the timers right now: it covers this second
            self.yield_to_ingress()  # between each of its steps (see make_way)
            # Those alerted already are left out here (their alert's id is the same every time, so
            # store_alerts would drop it): under load a thousand or more of them were made into
            # alerts and dropped again every second, stalling the ingress for 50-80 ms each time.
            day = now - timedelta(days=1)
            chats = self.store.query(
                'SELECT i."interaction_id", i."queue", i."team_id", i."agent_id", i."offered_at" '
                'FROM "interactions" i WHERE i."channel" = \'chat\' AND i."answered_at" IS NULL '
                'AND i."ended_at" IS NULL AND i."offered_at" <= ? AND i."offered_at" >= ? '
                f'AND EXISTS (SELECT 1 FROM "{REALTIME_EVENTS.name}" e WHERE e."subject_id" = i."interaction_id" '
                "AND e.\"event_type\" = 'conversation_started') "
                f"AND NOT {alerted_sql('i', 'interaction_id')}",
                [now - timedelta(seconds=sla.chat_first_reply_seconds), day, CHAT_SLA, day],
            )
            alerts = [
                candidate(
                    CHAT_SLA,
                    str(r["interaction_id"]),
                    basis=CHAT_SLA,
                    severity="warning",
                    message=f"在线会话 {(now - pd.Timestamp(r['offered_at']).to_pydatetime()).total_seconds():.0f} 秒"
                    f"无坐席回复，超过 {sla.chat_first_reply_seconds:.0f} 秒 (conversation {r['interaction_id']}).",
                    evidence=f"offered_at={pd.Timestamp(r['offered_at']).isoformat()}Z",
                    queue=clean(r["queue"]),
                    team_id=clean(r["team_id"]),
                    agent_id=clean(r["agent_id"]),
                )
                for r in records(chats)
            ]
            self.yield_to_ingress()
            waiting = self.store.query(
                f'SELECT q.* FROM "{REALTIME_QUEUE.name}" q WHERE q."answered_at" IS NULL AND q."abandoned_at" IS NULL '
                f'AND q."offered_at" <= ? AND q."offered_at" >= ? AND NOT {alerted_sql("q", "contact_id")}',
                [now - timedelta(seconds=sla.queue_wait_seconds), day, QUEUE_WAIT, day],
            )
            for r in records(waiting):
                wait = (now - pd.Timestamp(r["offered_at"]).to_pydatetime()).total_seconds()
                alerts.append(self._wait_alert(r, wait, None, None))
            self.yield_to_ingress()
            alerts += kpi_alerts(self.store, now=now, config=self.config, catalogue=self.catalogue)
            stored: list[Alert] = []
            for i in range(0, len(alerts), 100):  # a few hundred at once under load: giving way between
                self.yield_to_ingress()
                stored += store_alerts(
                    self.store,
                    alerts[i : i + 100],
                    now=now,
                    window_seconds=self.config.dedup_window_seconds,
                    webhook=self.webhook,
                )
        self._notify(stored)
        return stored

    def _notify(self, alerts: list[Alert]) -> None:
        if not alerts:
            return
        for listener in self.listeners:
            try:
                listener(alerts)
            except Exception:  # a failing sink must not fail processing; the alert is stored
                log.exception("alert listener failed")
