"""Sentiment and emotion detectors: negative turns, and a customer whose mood worsens.

The model comes from ``csqm.inspection.sentiment`` (imported only when a sentiment rule runs), or
from whatever :class:`~csqm.inspection.detectors.base.SentimentModel` the caller passes in.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import cast

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from csqm.errors import ConfigError
from csqm.inspection.detectors.base import DetectContext, Detected, Detector, Scope, SentimentModel


class _ModuleModel:
    """Adapts the module-level functions of ``csqm.inspection.sentiment`` to :class:`SentimentModel`."""

    def __init__(self) -> None:
        try:
            self._mod = importlib.import_module("csqm.inspection.sentiment")
        except ImportError as exc:
            raise ConfigError(
                f"Sentiment rules need csqm.inspection.sentiment, which cannot be imported: {exc}"
            ) from exc

    def sentiment_scores(self, texts: Sequence[str | None], lang: str | None = None) -> np.ndarray:
        return cast(np.ndarray, self._mod.sentiment_scores(texts, lang=lang))

    def emotions(self, texts: Sequence[str | None], lang: str | None = None) -> list[tuple[str, ...]]:
        return cast(list[tuple[str, ...]], self._mod.emotions(texts, lang=lang))


def default_model() -> SentimentModel:
    """The built-in sentiment model."""
    return _ModuleModel()


class SentimentParams(BaseModel):
    """A turn is reported when its polarity is at most ``below`` or it shows one of ``emotions``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    below: float | None = Field(-0.5, ge=-1, le=1)
    emotions: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _something(self) -> SentimentParams:
        if self.below is None and not self.emotions:
            raise ValueError("give below, emotions, or both")
        return self


class SentimentDetector(Detector):
    """Negative sentiment or given emotions (anger, …) in the rule's speakers' turns."""

    name = "sentiment"
    Params = SentimentParams
    default_speakers = ("customer",)

    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        assert isinstance(self.params, SentimentParams)
        p, turns = self.params, np.flatnonzero(scope.turns)
        if not len(turns):
            return Detected.none()
        hit = np.zeros(len(turns), dtype=bool)
        why = [""] * len(turns)
        if p.below is not None:
            polarity = ctx.polarity(turns)
            hit |= polarity <= p.below
            why = [f"情绪 / polarity {v:+.2f}" for v in polarity.tolist()]
        if p.emotions:
            for i, labels in enumerate(ctx.emotions(turns)):
                shown = [e for e in labels if e in p.emotions]
                if shown:
                    hit[i] = True
                    why[i] = (why[i] + " " if why[i] else "") + "/".join(shown)
        return Detected.at_turns(ctx.batch, turns[hit], [why[i] for i in np.flatnonzero(hit).tolist()])


class MoodParams(BaseModel):
    """Mean polarity of the last ``span`` turns at least ``drop`` below that of the first ``span``,
    ending below ``end_below``; only with ``min_turns`` turns or more."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    drop: float = Field(0.6, gt=0, le=2)
    span: int = Field(2, ge=1)
    min_turns: int = Field(3, ge=2)
    end_below: float = Field(0.0, ge=-1, le=1)


class MoodTrendDetector(Detector):
    """The customer's mood worsens over the conversation: a finding on their last turn."""

    name = "mood_trend"
    Params = MoodParams
    default_speakers = ("customer",)

    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        assert isinstance(self.params, MoodParams)
        b, p = ctx.batch, self.params
        turns = np.flatnonzero(scope.turns)
        counts = np.bincount(b.conv[turns], minlength=b.n_conversations)
        turns = turns[counts[b.conv[turns]] >= p.min_turns]
        if not len(turns):
            return Detected.none(counts >= p.min_turns)
        polarity = ctx.polarity(turns)
        rank, back = b.ranks(np.isin(np.arange(b.n_turns), turns))
        conv = b.conv[turns]
        early = _mean_by(conv, polarity, rank[turns] < p.span, b.n_conversations)
        late = _mean_by(conv, polarity, back[turns] < p.span, b.n_conversations)
        worse = (early - late >= p.drop) & (late < p.end_below)
        last = turns[(back[turns] == 0) & worse[conv]]
        evidence = [f"情绪变差 / mood {early[c]:+.2f} → {late[c]:+.2f}" for c in b.conv[last].tolist()]
        none = np.full(len(last), -1, dtype=np.int64)
        return Detected(b.conv[last], last, none, none, list(evidence), counts >= p.min_turns)


def _mean_by(conv: np.ndarray, values: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    total = np.bincount(conv[mask], weights=values[mask], minlength=n)
    count = np.bincount(conv[mask], minlength=n)
    return np.divide(total, count, out=np.zeros(n), where=count > 0)
