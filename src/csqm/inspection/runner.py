"""Inspecting the store: every conversation not yet inspected under the current packs.

Re-inspection granularity: each result keeps a *scope digest* — the hash of exactly the rules
(content, detector version, languages) and the scorecard that applied to its conversation's
(language, channel, topic). A run inspects conversations without a result or whose digest differs
from the current one; so editing a chat-only rule re-inspects chat conversations only, and an
unchanged pack inspects nothing. Each chunk is written in one transaction (old rows of the chunk
deleted, new ones inserted): a run that stops keeps whole chunks only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from csqm.inspection import storage
from csqm.inspection.batch import Batch
from csqm.inspection.detectors.base import SentimentModel
from csqm.inspection.engine import Inspector
from csqm.inspection.feedback import judge_feedback
from csqm.inspection.loading import Packs, load_packs
from csqm.inspection.tables import ensure_tables
from csqm.metrics.rollup import after_change as refresh_rollup
from csqm.store import Store

Progress = Callable[[int, int], None]

#: Detectors that need the sentiment model (left out with ``sentiment=False``).
SENTIMENT_DETECTORS = ("sentiment", "mood_trend")


@dataclass(frozen=True)
class InspectSummary:
    """What a run did: the pack version, conversations considered / inspected / already up to date,
    findings and fatal findings written, survey comments judged, and the time taken."""

    pack_version: str
    conversations: int
    inspected: int
    up_to_date: int
    findings: int
    fatal: int
    feedback: int
    seconds: float


def resolve_packs(packs: Packs | Path | str | Sequence[Path | str] | None) -> Packs:
    """Loaded packs from ``None`` (the shipped ones), a directory, several, or as they are."""
    if isinstance(packs, Packs):
        return packs
    if packs is None:
        return load_packs()
    if isinstance(packs, str | Path):
        return load_packs([packs])
    return load_packs(list(packs))


def inspect(
    store: Store,
    *,
    packs: Packs | Path | str | Sequence[Path | str] | None = None,
    progress: Progress | None = None,
    sentiment: SentimentModel | bool = True,
    chunk_size: int = 20_000,
    force: bool = False,
    now: datetime | None = None,
) -> InspectSummary:
    """Inspect every conversation in ``store`` not yet inspected with the current packs.

    ``packs``: loaded packs, or pack directories added to (and overriding) the shipped ones.
    ``sentiment``: a model to use, ``True`` for the built-in one, ``False`` to leave sentiment rules
    out (the pack version then differs). ``force`` re-inspects everything. Re-running changes nothing.
    """
    started = time.perf_counter()
    loaded = resolve_packs(packs)
    if sentiment is False:
        loaded = loaded.without_detectors(SENTIMENT_DETECTORS)
    model = None if isinstance(sentiment, bool) else sentiment
    inspector = Inspector(loaded, sentiment=model)
    stamp = (now or datetime.now(UTC)).replace(tzinfo=None)
    ensure_tables(store)
    storage.record_rules(store, loaded, stamp)
    total, todo = storage.pending(store, inspector, force=force)
    findings = fatal = 0
    for start in range(0, len(todo), chunk_size):
        ids = todo[start : start + chunk_size]
        interactions, utterances = storage.fetch(store, ids)
        result = inspector.run(Batch.from_frames(interactions, utterances))
        results, rows = storage.result_tables(result, loaded.version, stamp)
        with store.transaction():
            storage.replace(store, ids, results, rows)
        findings += rows.num_rows
        fatal += int(result.scores.fatal_count.sum())
        if progress is not None:
            progress(start + len(ids), len(todo))
    judged = judge_feedback(store, inspector, stamp, use_model=sentiment is not False)
    refresh_rollup(store)
    return InspectSummary(
        pack_version=loaded.version,
        conversations=total,
        inspected=len(todo),
        up_to_date=total - len(todo),
        findings=findings,
        fatal=fatal,
        feedback=judged,
        seconds=round(time.perf_counter() - started, 3),
    )
