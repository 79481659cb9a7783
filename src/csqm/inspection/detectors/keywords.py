"""Keyword and regular-expression detectors: forbidden phrases, promises, escalation words."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from csqm.inspection.detectors.base import DetectContext, Detected, Detector, Scope
from csqm.inspection.detectors.terms import Hits, Terms


class Near(BaseModel):
    """Two phrase sets that must occur within ``within`` characters of each other in one turn."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first: tuple[str, ...] = Field(min_length=1)
    second: tuple[str, ...] = Field(min_length=1)
    within: int = Field(10, ge=0, le=500)


class KeywordParams(BaseModel):
    """Exactly one of ``any`` (a finding per occurrence), ``all`` (every phrase in one turn) or
    ``near`` (proximity); ``min_count`` hits per conversation before anything is reported."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    any: tuple[str, ...] = ()
    all: tuple[str, ...] = ()
    near: Near | None = None
    negations: tuple[str, ...] = ()
    negation_window: int = Field(4, ge=0, le=50)
    exceptions: tuple[str, ...] = ()
    min_count: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _one_mode(self) -> KeywordParams:
        if sum((bool(self.any), bool(self.all), self.near is not None)) != 1:
            raise ValueError("give exactly one of any, all or near")
        return self

    def terms_of(self, phrases: tuple[str, ...]) -> Terms:
        return Terms(
            phrases=phrases,
            negations=self.negations,
            negation_window=self.negation_window,
            exceptions=self.exceptions,
        )


class KeywordDetector(Detector):
    """Phrases said by the rule's speakers: any of a set, all of a set in one turn, or two sets near
    each other. Negation cues just before a phrase (不是 + 骗你) and exception phrases cancel a hit."""

    name = "keywords"
    Params = KeywordParams

    def terms(self) -> Sequence[Terms]:
        return self._terms

    @functools.cached_property
    def _terms(self) -> tuple[Terms, ...]:
        """Built (and validated) once: ``detect`` asks for them on every batch."""
        p = self._p
        if p.near is not None:
            return (p.terms_of(p.near.first), p.terms_of(p.near.second))
        return (p.terms_of(p.any or p.all),)

    @property
    def _p(self) -> KeywordParams:
        assert isinstance(self.params, KeywordParams)
        return self.params

    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        p = self._p
        if p.near is not None:
            a, b = (ctx.match(t, scope.turns) for t in self.terms())
            hits = _near(a, b, p.near.within)
        elif p.all:
            hits = _all_in_turn(ctx.match(self.terms()[0], scope.turns), len(p.all))
        else:
            hits = ctx.match(self.terms()[0], scope.turns)
        return Detected.from_hits(ctx.batch, _at_least(ctx, hits, p.min_count))


class RegexParams(Terms):
    """A regular expression (case-insensitive) with optional literal ``prefilter`` for speed."""

    min_count: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _regex_given(self) -> RegexParams:
        if not self.regex:
            raise ValueError("regex is required")
        return self


class RegexDetector(Detector):
    """Matches of a regular expression in the rule's speakers' turns (plus any ``phrases``)."""

    name = "regex"
    Params = RegexParams

    def terms(self) -> Sequence[Terms]:
        assert isinstance(self.params, RegexParams)
        return [self.params]

    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        assert isinstance(self.params, RegexParams)
        hits = ctx.match(self.params, scope.turns)
        return Detected.from_hits(ctx.batch, _at_least(ctx, hits, self.params.min_count))


def _at_least(ctx: DetectContext, hits: Hits, count: int) -> Hits:
    """Only hits of conversations with ``count`` hits or more."""
    if count <= 1 or not len(hits):
        return hits
    conv = ctx.batch.conv[hits.turn]
    per = np.bincount(conv, minlength=ctx.batch.n_conversations)
    return hits.where(per[conv] >= count)


def _all_in_turn(hits: Hits, needed: int) -> Hits:
    """One hit per turn that contains every phrase, spanning from the first to the last."""
    if not len(hits):
        return hits
    pairs = np.unique(np.stack([hits.turn, hits.term], axis=1), axis=0)
    turns, counts = np.unique(pairs[:, 0], return_counts=True)
    full = turns[counts >= needed]
    keep = np.isin(hits.turn, full)
    h = hits.where(keep)
    if not len(h):
        return h
    uniq, first = np.unique(h.turn, return_index=True)
    start = np.minimum.reduceat(h.start, first)
    end = np.maximum.reduceat(h.end, first)
    return Hits(uniq, start, end, np.zeros(len(uniq), dtype=np.int64))


def _near(a: Hits, b: Hits, within: int) -> Hits:
    """Pairs of an ``a`` and a ``b`` hit in one turn at most ``within`` characters apart."""
    rows: list[tuple[int, int, int]] = []
    for t in np.intersect1d(a.turn, b.turn).tolist():
        ia, ib = np.flatnonzero(a.turn == t), np.flatnonzero(b.turn == t)
        for i in ia.tolist():
            gap = np.maximum(b.start[ib] - a.end[i], a.start[i] - b.end[ib])
            close = ib[gap <= within]
            if len(close):
                j = close[np.argmin(np.abs(b.start[close] - a.start[i]))]
                rows.append((t, min(a.start[i], b.start[j]), max(a.end[i], b.end[j])))
    if not rows:
        return Hits.empty()
    arr = np.unique(np.array(rows, dtype=np.int64), axis=0)
    return Hits(arr[:, 0], arr[:, 1], arr[:, 2], np.zeros(len(arr), dtype=np.int64))
