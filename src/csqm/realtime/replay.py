"""Replaying demo conversations as live events (``csqm realtime replay``, ``csqm demo --replay``).

Conversations from a generated folder (``interactions`` + ``utterances`` files) are turned into the
events a contact-centre platform would send: queue offered / answered / abandoned, conversation
started, one event per turn, conversation ended. Each conversation keeps its own timing (turn
offsets, wait before answer); conversation ``i`` starts ``i * every`` seconds after the replay
starts, so weeks of history become a steady live stream. ``speed`` divides every delay. Events are
stamped with the replay's wall-clock time, so SLA timers and live queue KPIs see them as live.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from csqm.errors import ConfigError
from csqm.realtime.events import utcnow

_STARTED = ("channel", "direction", "queue", "agent_id", "team_id", "topic", "product", "business_line", "language")


def _read(folder: Path, kind: str) -> pd.DataFrame:
    for ext in ("parquet", "csv"):
        path = folder / f"{kind}.{ext}"
        if path.exists():
            return pd.read_parquet(path) if ext == "parquet" else pd.read_csv(path, dtype={"interaction_id": str})
    raise ConfigError(f"{folder}: no {kind}.csv or {kind}.parquet (generate one with `csqm generate`).")


def _value(v: Any) -> Any:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def _seconds(a: Any, b: Any) -> float | None:
    if pd.isna(a) or pd.isna(b):
        return None
    return max(0.0, float((pd.Timestamp(b) - pd.Timestamp(a)).total_seconds()))


@dataclass(frozen=True)
class Scheduled:
    """An event and when to send it, in seconds after the replay starts."""

    due: float
    event: dict[str, Any]


def schedule(
    interactions: pd.DataFrame,
    utterances: pd.DataFrame,
    *,
    every: float = 2.0,
    prefix: str = "",
    limit: int | None = None,
    max_gap: float = 60.0,
) -> list[Scheduled]:
    """The events of the conversations (with turns), in sending order; ``at`` is left to the sender.
    A silence longer than ``max_gap`` seconds between turns is shortened to it (the turns keep their
    recorded ``offset_seconds``, so inspection judges the real timing)."""
    turns = utterances.sort_values(["interaction_id", "seq"]).groupby("interaction_id", sort=False)
    by_id = {str(k): g for k, g in turns}
    rows = interactions[interactions["interaction_id"].astype(str).isin(by_id)].sort_values("offered_at")
    if limit is not None:
        rows = rows.head(limit)
    out: list[Scheduled] = []
    for i, r in enumerate(rows.to_dict("records")):
        cid = prefix + str(r["interaction_id"])
        base = i * every
        group = by_id[str(r["interaction_id"])]
        wait = _seconds(r["offered_at"], r.get("answered_at"))
        talk_end = _seconds(r["offered_at"], r.get("ended_at"))
        queued = r.get("channel") in ("phone", "chat")
        if queued:
            out.append(
                Scheduled(
                    base,
                    {
                        "type": "queue_offered",
                        "event_id": f"{cid}:qo",
                        "contact_id": cid,
                        "queue": _value(r.get("queue")),
                        "team_id": _value(r.get("team_id")),
                        "channel": r["channel"],
                    },
                )
            )
        start = {"type": "conversation_started", "event_id": f"{cid}:s", "conversation_id": cid}
        start.update({k: _value(r.get(k)) for k in _STARTED if _value(r.get(k)) is not None})
        out.append(Scheduled(base, start))
        if queued and wait is not None:
            out.append(Scheduled(base + wait, {"type": "queue_answered", "event_id": f"{cid}:qa", "contact_id": cid}))
        elif queued and bool(_value(r.get("abandoned"))):
            gone = base + min(talk_end or 0.0, 600.0)
            out.append(Scheduled(gone, {"type": "queue_abandoned", "event_id": f"{cid}:qx", "contact_id": cid}))
        last, previous = base, 0.0
        for t in group.to_dict("records"):
            offset = _value(t.get("offset_seconds"))
            at = float(offset) if offset is not None else previous
            due = last + min(max(0.0, at - previous), max_gap)  # long silences (e-mail threads) shortened
            previous = max(previous, at)
            last = max(last, due)
            event = {
                "type": "utterance",
                "event_id": f"{cid}:u{int(t['seq'])}",
                "conversation_id": cid,
                "seq": int(t["seq"]),
                "speaker": t["speaker"],
                "text": _value(t.get("text")) or "",
            }
            if offset is not None:
                event["offset_seconds"] = float(offset)
            out.append(Scheduled(due, event))
        end = {"type": "conversation_ended", "event_id": f"{cid}:e", "conversation_id": cid, "utterances": len(group)}
        for key in ("hold_seconds", "acw_seconds", "transfers", "resolved", "escalated"):
            value = _value(r.get(key))
            if value is not None:
                end[key] = int(value) if key == "transfers" else value
        # the end follows the last turn (e-mail threads can span days: their recorded end is not replayed)
        out.append(Scheduled(last + 0.001 if len(group) else base + min(talk_end or 0.0, 60.0), end))
    out.sort(key=lambda s: s.due)
    return out


def load_schedule(
    folder: Path, *, every: float = 2.0, prefix: str = "", limit: int | None = None, max_gap: float = 60.0
) -> list[Scheduled]:
    """:func:`schedule` of a generated folder."""
    return schedule(
        _read(folder, "interactions"),
        _read(folder, "utterances"),
        every=every,
        prefix=prefix,
        limit=limit,
        max_gap=max_gap,
    )


def stamped(items: list[Scheduled], start: datetime, speed: float) -> Iterator[tuple[float, dict[str, Any]]]:
    """(seconds after start to send, event with ``at``) with delays divided by ``speed``."""
    for item in items:
        delay = item.due / speed
        yield delay, {**item.event, "at": (start + timedelta(seconds=delay)).isoformat() + "Z"}


Send = Callable[[list[dict[str, Any]]], dict[str, Any]]


def http_sender(url: str, token: str, timeout: float = 30.0) -> Send:
    """POST batches to ``url`` (``…/api/v1/events``) with the API token."""

    def send(events: list[dict[str, Any]]) -> dict[str, Any]:
        request = urllib.request.Request(
            url,
            data=json.dumps(events, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result

    return send


@dataclass
class ReplaySummary:
    events: int = 0
    accepted: int = 0
    errors: int = 0
    alerts: int = 0
    seconds: float = 0.0


def replay(
    items: list[Scheduled],
    send: Send,
    *,
    speed: float = 1.0,
    tick: float = 0.2,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[int, int], None] | None = None,
) -> ReplaySummary:
    """Send the events when they are due (every ``tick`` seconds, what is due goes in one batch)."""
    if speed <= 0:
        raise ConfigError("The replay speed must be above 0.")
    began = time.perf_counter()
    pending = list(stamped(items, clock(), speed))
    summary = ReplaySummary()
    i = 0
    while i < len(pending):
        elapsed = time.perf_counter() - began
        batch = []
        while i < len(pending) and pending[i][0] <= elapsed:
            batch.append(pending[i][1])
            i += 1
        if batch:
            result = send(batch)
            summary.events += len(batch)
            summary.accepted += int(result.get("accepted", 0))
            summary.errors += len(result.get("errors", []))
            summary.alerts += len(result.get("alerts", []))
            if progress is not None:
                progress(i, len(pending))
        elif i < len(pending):
            sleep(min(tick, max(0.0, pending[i][0] - elapsed)))
    summary.seconds = round(time.perf_counter() - began, 3)
    return summary
