"""Order: one thing must come before another (identity verified before account details)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from csqm.inspection.detectors.base import DetectContext, Detected, Detector, Scope
from csqm.inspection.detectors.terms import Hits, Terms


class Step(Terms):
    """Terms plus who says them (default: the rule's speakers)."""

    speakers: tuple[Literal["customer", "agent", "bot", "system"], ...] = ()


class OrderParams(BaseModel):
    """``first`` must occur before the first occurrence of ``then``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first: Step
    then: Step


class OrderDetector(Detector):
    """A must come before B: the first occurrence of ``then`` (e.g. the agent disclosing order or
    account details) must follow an occurrence of ``first`` (e.g. an identity check). The finding
    sits on that first ``then``; conversations without ``then`` are not applicable."""

    name = "order"
    Params = OrderParams

    @property
    def _p(self) -> OrderParams:
        assert isinstance(self.params, OrderParams)
        return self.params

    def terms(self) -> Sequence[Terms]:
        return [self._p.first, self._p.then]

    def sparse_terms(self) -> Sequence[Terms]:
        return [self._p.first]  # searched only in conversations where ``then`` occurs

    def _turns(self, ctx: DetectContext, scope: Scope, step: Step) -> np.ndarray:
        if not step.speakers:
            return scope.turns
        return ctx.batch.in_conversations(scope.conversations, ctx.batch.speaker_mask(step.speakers))

    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        b, p = ctx.batch, self._p
        after = ctx.match(p.then, self._turns(ctx, scope, p.then), chars=False)  # byte spans: same order
        first_then = _first_per_conversation(b.conv, after)
        applicable = np.zeros(b.n_conversations, dtype=bool)
        applicable[b.conv[first_then.turn]] = True
        # ``first`` matters only where ``then`` occurs
        before = ctx.match(p.first, b.in_conversations(applicable, self._turns(ctx, scope, p.first)), chars=False)
        earliest = np.full(b.n_conversations, np.iinfo(np.int64).max, dtype=np.int64)
        key = before.turn * (1 << 32) + before.start
        np.minimum.at(earliest, b.conv[before.turn], key)
        then_key = first_then.turn * (1 << 32) + first_then.start
        late = earliest[b.conv[first_then.turn]] > then_key
        return Detected.from_hits(b, first_then.where(late).in_chars(b), applicable & scope.conversations)


def _first_per_conversation(conv: np.ndarray, hits: Hits) -> Hits:
    if not len(hits):
        return hits
    hits = hits.sorted()
    _, first = np.unique(conv[hits.turn], return_index=True)
    return hits.where(first)
