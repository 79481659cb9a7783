"""Structural detectors: scripts that must (or must not) be said early or late, or at all."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

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
        return [self._p]  # searched in the window turns only

    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        p, b = self._p, ctx.batch
        rank, back = b.ranks(scope.turns)
        in_window = (rank if p.window == "first" else back) >= 0
        in_window &= (rank if p.window == "first" else back) < p.turns
        spoke = np.bincount(b.conv[scope.turns], minlength=b.n_conversations) > 0
        applicable = scope.conversations & spoke
        if p.must == "not_say":
            return Detected.from_hits(b, ctx.match(p, in_window, chars=False).in_chars(b), applicable)
        said = np.zeros(b.n_conversations, dtype=bool)
        said[b.conv[_turns_saying(ctx, p, in_window)]] = True
        missing = np.flatnonzero(applicable & ~said)
        where = "前" if p.window == "first" else "最后"
        why = f"{where}{p.turns}轮未说 / not in {p.window} {p.turns} turn(s): {_listing(p)}"
        return Detected.whole(missing, why, applicable)


def _turns_saying(ctx: DetectContext, terms: Terms, turns: np.ndarray) -> np.ndarray:
    """Indices of the turns (of the mask ``turns``) with at least one hit of ``terms``.

    Plain phrase lists (no regex, negations or exceptions) are tested with one RE2 alternation per
    turn — whole words for Latin phrases, as the phrase index does — instead of listing every hit."""
    if terms.regex or terms.negations or terms.exceptions:
        return ctx.match(terms, turns, chars=False).turn
    candidates = np.flatnonzero(turns)
    if not len(candidates):
        return candidates
    texts = ctx.batch.lower.take(pa.array(candidates))
    said = pc.match_substring_regex(texts, _alternation(terms.phrases))
    found: np.ndarray = candidates[np.asarray(said.to_numpy(zero_copy_only=False), dtype=bool)]
    return found


def _alternation(phrases: tuple[str, ...]) -> str:
    """An RE2 pattern matching any of ``phrases`` (ASCII lower-cased text; Latin phrases as whole words)."""
    parts = []
    for phrase in sorted({p.lower() for p in phrases}):
        left = "(?:^|[^0-9a-z])" if _glues(phrase[0]) else ""
        right = "(?:$|[^0-9a-z])" if _glues(phrase[-1]) else ""
        parts.append(left + re.escape(phrase) + right)
    return "|".join(parts)


def _glues(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


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
        hits = ctx.match(self.params, scope.turns, chars=False)
        said = np.bincount(b.conv[hits.turn], minlength=b.n_conversations) >= self.params.min_count
        spoke = np.bincount(b.conv[scope.turns], minlength=b.n_conversations) > 0
        applicable = scope.conversations & spoke
        missing = np.flatnonzero(applicable & ~said)
        return Detected.whole(missing, f"未说 / never said: {_listing(self.params)}", applicable)
