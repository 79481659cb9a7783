"""Structural detectors: scripts that must (or must not) be said early or late, or at all."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import Field

from csqm.inspection.detectors import kernels
from csqm.inspection.detectors.base import DetectContext, Detected, Detector, Scope
from csqm.inspection.detectors.terms import Terms


def _listing(terms: Terms, limit: int = 3) -> str:
    shown = list(terms.phrases[:limit]) + ([f"/{terms.regex}/"] if terms.regex else [])
    more = "…" if len(terms.phrases) > limit else ""
    return "、".join(shown) + more


class PositionParams(Terms):
    """``must: say`` — one of the phrases in the speaker's ``first``/``last`` ``turns`` turns;
    ``must: not_say`` — none of them there."""

    window: Literal["first", "last"] = "first"
    turns: int = Field(1, ge=1, le=100)
    must: Literal["say", "not_say"] = "say"


class PositionDetector(Detector):
    """A speaker must (or must not) say something in their first or last N turns: greeting and
    closing scripts, or "no small talk before the greeting". A conversation in which the speaker
    has no turn at all is not applicable."""

    name = "position"
    Params = PositionParams

    @property
    def _p(self) -> PositionParams:
        assert isinstance(self.params, PositionParams)
        return self.params

    def terms(self) -> Sequence[Terms]:
        return [self._p]

    def sparse_terms(self) -> Sequence[Terms]:
        return [self._p]  # only ever looked for in the window turns

    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        p, b = self._p, ctx.batch
        in_window, spoke = kernels.window(b.starts, scope.turns, p.turns, p.window == "first")
        applicable = scope.conversations & spoke
        if p.must == "not_say":
            return Detected.from_hits(b, ctx.match(p, in_window), applicable)
        said = np.zeros(b.n_conversations, dtype=bool)
        said[b.conv[ctx.turns_with(p, in_window)]] = True
        missing = np.flatnonzero(applicable & ~said)
        where = "前" if p.window == "first" else "最后"
        why = f"{where}{p.turns}轮未说 / not in {p.window} {p.turns} turn(s): {_listing(p)}"
        return Detected.whole(missing, why, applicable)


class AbsenceParams(Terms):
    """Phrases (or a regex) of which at least ``min_count`` must be said somewhere."""

    min_count: int = Field(1, ge=1)


class AbsenceDetector(Detector):
    """A required script never said by the rule's speakers in the whole conversation (e.g. asking
    "请问还有其他可以帮您的吗"). Conversations where the speaker never spoke are not applicable."""

    name = "absence"
    Params = AbsenceParams

    def terms(self) -> Sequence[Terms]:
        assert isinstance(self.params, AbsenceParams)
        return [self.params]

    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        assert isinstance(self.params, AbsenceParams)
        b = ctx.batch
        if self.params.min_count == 1:
            said = np.zeros(b.n_conversations, dtype=bool)
            said[b.conv[ctx.turns_with(self.params, scope.turns)]] = True
        else:
            hits = ctx.match(self.params, scope.turns, chars=False)
            said = np.bincount(b.conv[hits.turn], minlength=b.n_conversations) >= self.params.min_count
        spoke = kernels.any_turn(b.starts, scope.turns)
        applicable = scope.conversations & spoke
        missing = np.flatnonzero(applicable & ~said)
        return Detected.whole(missing, f"未说 / never said: {_listing(self.params)}", applicable)
