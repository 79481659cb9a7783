"""A conversation's state as the real-time processor holds it in memory, and what is built from
it without a round trip through the store: the interactions rows to append and the inspection
batch (what ``Batch.from_frames`` makes of the same stored rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from csqm.inspection.batch import Batch
from csqm.inspection.model import SPEAKERS
from csqm.realtime.events import Utterance
from csqm.store.schema import TABLES

CONV_COLS = (
    "interaction_id",
    "channel",
    "direction",
    "queue",
    "customer_id",
    "agent_id",
    "team_id",
    "offered_at",
    "answered_at",
    "ended_at",
    "talk_seconds",
    "hold_seconds",
    "acw_seconds",
    "first_response_seconds",
    "transfers",
    "topic",
    "product",
    "business_line",
    "resolved",
    "escalated",
    "language",
)
TS = pa.timestamp("us")
#: What events change after a conversation started (none of them indexed: updated in place).
UPDATABLE = (
    "answered_at",
    "first_response_seconds",
    "ended_at",
    "talk_seconds",
    "hold_seconds",
    "acw_seconds",
    "transfers",
    "resolved",
    "escalated",
    "abandoned",
)
SPEAKER_CODES = {s: i for i, s in enumerate(SPEAKERS)}
INTERACTIONS = next(t for t in TABLES if t.name == "interactions")
UTTERANCES = next(t for t in TABLES if t.name == "utterances")


#: A stored turn as inspection reads it: (seq, speaker, offset seconds, masked text, pii kinds).
Stored = tuple[int, str, float, str, str | None]


@dataclass
class Conv:
    row: dict[str, Any]
    new: bool
    changed: bool = False
    seqs: set[int] = field(default_factory=set)
    #: Whether ``seqs`` holds every stored turn number (False: read from the embedded store's recent
    #: turns only, see :meth:`Processor._load`; a turn number it missed is caught by a key).
    exact: bool = True
    polar: dict[int, float] | None = None  # the customer's polarity per turn, loaded when needed
    #: Every stored turn, while known in memory (a conversation started here, until it is inspected
    #: at its end); None: read them from the store when needed.
    turns: dict[int, Stored] | None = None


@dataclass
class Turn:
    index: int
    event: Utterance
    at: datetime
    offset: float
    conv: Conv
    text: str | None = None
    pii: str | None = None
    polarity: float | None = None


def clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def turn_batch(turns: list[Turn]) -> Batch:
    """The new turns as an inspection batch (for the real-time rules)."""
    grouped: dict[str, tuple[dict[str, Any], list[Stored]]] = {}
    for t in turns:
        stored = (t.event.seq, t.event.speaker, t.offset, t.text or "", t.pii)
        grouped.setdefault(t.event.conversation_id, (t.conv.row, []))[1].append(stored)
    return memory_batch([(cid, row, sorted(ts)) for cid, (row, ts) in grouped.items()])


def memory_batch(convs: list[tuple[str, dict[str, Any], list[Stored]]]) -> Batch:
    """Conversations with their turns (sorted by seq) as an inspection batch, built straight from
    memory: what ``Batch.from_frames`` makes of the same rows, without the pandas round trip."""
    turns = [t for _, _, ts in convs for t in ts]
    counts = np.array([len(ts) for _, _, ts in convs], dtype=np.int64)

    def column(name: str) -> np.ndarray:
        return np.array([row.get(name) for _, row, _ in convs], dtype=object)

    hold = [row.get("hold_seconds") for _, row, _ in convs]
    return Batch(
        ids=np.array([cid for cid, _, _ in convs], dtype=object),
        channel=column("channel"),
        topic=column("topic"),
        language=column("language"),
        hold_seconds=np.array([np.nan if h is None else float(h) for h in hold], dtype=float),
        starts=np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
        conv=np.repeat(np.arange(len(convs), dtype=np.int64), counts),
        seq=np.array([t[0] for t in turns], dtype=np.int64),
        speaker=np.array([SPEAKER_CODES.get(t[1], -1) for t in turns], dtype=np.int8),
        offset=np.array([t[2] for t in turns], dtype=float),
        text=pa.array([t[3] for t in turns], pa.string()),
        pii=pa.array([t[4] for t in turns], pa.string()),
    )
