"""Shared helpers: a processor on both engines with a hand-driven clock, and event builders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from csqm.realtime.engine import Processor
from csqm.settings import Settings
from csqm.store import Store

T0 = datetime(2026, 3, 2, 9, 0, 0)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def iso(t: datetime) -> str:
    return t.isoformat() + "Z"


def at(seconds: float) -> str:
    return iso(T0 + timedelta(seconds=seconds))


def started(cid: str, t: float = 0, *, channel: str = "chat", **kw: Any) -> dict[str, Any]:
    return {
        "type": "conversation_started",
        "event_id": f"{cid}-s",
        "conversation_id": cid,
        "channel": channel,
        "at": at(t),
        "language": "zh",
        **kw,
    }


def turn(cid: str, seq: int, speaker: str, text: str, t: float | None = None, **kw: Any) -> dict[str, Any]:
    return {
        "type": "utterance",
        "event_id": f"{cid}-u{seq}",
        "conversation_id": cid,
        "seq": seq,
        "speaker": speaker,
        "text": text,
        "at": at(seq * 5 if t is None else t),
        **kw,
    }


def ended(cid: str, t: float = 120, **kw: Any) -> dict[str, Any]:
    return {"type": "conversation_ended", "event_id": f"{cid}-e", "conversation_id": cid, "at": at(t), **kw}


def queue(kind: str, contact: str, t: float, q: str = "q1", team: str = "T1") -> dict[str, Any]:
    return {
        "type": f"queue_{kind}",
        "event_id": f"{contact}-{kind}",
        "contact_id": contact,
        "queue": q,
        "team_id": team,
        "at": at(t),
    }


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(seconds=1))


@pytest.fixture
def proc(store: Store, settings: Settings, clock: Clock) -> Iterator[Processor]:
    yield Processor(store, settings=settings, clock=clock)
