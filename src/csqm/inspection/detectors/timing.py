"""Timing detectors: silence in a call, slow replies in a chat, long holds."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from csqm.inspection.detectors.base import DetectContext, Detected, Detector, Scope
from csqm.inspection.model import SPEAKERS


class SilenceParams(BaseModel):
    """Gap between two turns longer than ``seconds``; ``seconds_per_char`` estimates how long the
    previous turn took to say (its characters × this) and does not count as silence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seconds: float = Field(gt=0)
    seconds_per_char: float = Field(0.0, ge=0)


class SilenceDetector(Detector):
    """Silence longer than N seconds before a turn of the rule's speakers (e.g. dead air before the
    agent answers). Needs ``offset_seconds`` or ``spoken_at``; turns without times are skipped."""

    name = "silence"
    Params = SilenceParams

    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        assert isinstance(self.params, SilenceParams)
        b, p = ctx.batch, self.params
        if b.n_turns < 2:
            return Detected.none()
        prev = np.arange(b.n_turns) - 1
        same = np.zeros(b.n_turns, dtype=bool)
        same[1:] = b.conv[1:] == b.conv[:-1]
        speaking = b.char_length[np.maximum(prev, 0)] * p.seconds_per_char
        gap = b.offset - b.offset[np.maximum(prev, 0)] - speaking
        turns = np.flatnonzero(same & scope.turns & (gap > p.seconds))
        return Detected.at_turns(b, turns, [f"静默 / silence {gap[t]:.0f} s" for t in turns.tolist()])


class LatencyParams(BaseModel):
    """Reply later than ``seconds`` after the first unanswered turn of ``after`` speakers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seconds: float = Field(gt=0)
    after: tuple[str, ...] = ("customer",)


class ReplyLatencyDetector(Detector):
    """A reply by the rule's speakers (the agent) more than N seconds after the customer's first
    unanswered message — the chat "answered within 30 s" rule, per reply."""

    name = "reply_latency"
    Params = LatencyParams
    default_speakers = ("agent",)

    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        assert isinstance(self.params, LatencyParams)
        b, p = ctx.batch, self.params
        waiting = np.isin(b.speaker, [SPEAKERS.index(s) for s in p.after if s in SPEAKERS])
        idx = np.arange(b.n_turns)
        first_of_conv = np.zeros(b.n_turns, dtype=bool)
        first_of_conv[b.starts[:-1][b.starts[:-1] < b.n_turns]] = True
        # index of the turn that opened the current run of waiting turns
        boundary = np.where(~waiting | first_of_conv, idx, 0)
        last_break = np.maximum.accumulate(boundary)
        run_start = np.where(waiting[last_break], last_break, last_break + 1)
        prev = np.maximum(idx - 1, 0)
        opener = run_start[prev]
        replied = scope.turns & ~first_of_conv & waiting[prev] & (b.conv[np.minimum(opener, b.n_turns - 1)] == b.conv)
        latency = b.offset - b.offset[np.minimum(opener, b.n_turns - 1)]
        turns = np.flatnonzero(replied & (latency > p.seconds))
        return Detected.at_turns(b, turns, [f"回复用时 / replied after {latency[t]:.0f} s" for t in turns.tolist()])


class HoldParams(BaseModel):
    """Hold longer than ``seconds`` (``interactions.hold_seconds``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seconds: float = Field(gt=0)


class LongHoldDetector(Detector):
    """The customer was put on hold longer than N seconds in total (a conversation-level finding)."""

    name = "long_hold"
    Params = HoldParams

    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        assert isinstance(self.params, HoldParams)
        hold = ctx.batch.hold_seconds
        known = scope.conversations & ~np.isnan(hold)
        convs = np.flatnonzero(known & (np.nan_to_num(hold) > self.params.seconds))
        evidence = [f"保持 / on hold {hold[c]:.0f} s" for c in convs.tolist()]
        return Detected.whole(convs, evidence, known)
