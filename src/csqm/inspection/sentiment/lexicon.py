"""The customer-service lexicon (``lexicon.yaml``): emotion tags and polarity adjustments.

One pass of :class:`~csqm.inspection.sentiment.cues.CueMatcher` over a batch gives both:

* the emotions of each text: the labels of its cues, a negated cue counting as its emotion's
  ``negated`` label or as nothing ("不是骗你" shows no anger, "不太满意" shows disappointment);
* a log-odds shift for the sentiment model: the ``valence`` of every emotion shown (once each) plus
  the shifts of the plain polarity phrases that are not negated.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from csqm.inspection.sentiment.cues import CueMatcher, Negation

LANGS = ("zh", "en")


class _NegationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    negators: tuple[str, ...] = Field(min_length=1)
    pseudo: tuple[str, ...] = ()
    window: int = Field(4, ge=1, le=10)
    rhetorical: tuple[str, ...] = ()


class _EmotionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name_zh: str
    valence: float = Field(ge=-5, le=5)
    negated: str | None = None
    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()


class _LexiconSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    negation: dict[str, _NegationSpec]
    emotions: dict[str, _EmotionSpec]
    polarity: dict[str, dict[str, float]]


@dataclass(frozen=True)
class _Cue:
    label: str | None  # emotion shown when not negated
    negated_label: str | None  # emotion shown when negated
    shift: float  # polarity log-odds shift of a plain phrase (0 for emotion cues)


class Lexicon:
    """Emotion cues and polarity phrases of both languages, ready to match."""

    def __init__(self, data: dict[str, Any]) -> None:
        spec = _LexiconSpec.model_validate(data)
        for label, emo in spec.emotions.items():
            if emo.negated is not None and emo.negated not in spec.emotions:
                raise ValueError(f"emotion {label!r}: negated label {emo.negated!r} is not an emotion")
        self.labels: tuple[str, ...] = tuple(sorted(spec.emotions))
        self.names_zh = {label: emo.name_zh for label, emo in spec.emotions.items()}
        self.valence = {label: emo.valence for label, emo in spec.emotions.items()}
        self._matchers: dict[str, CueMatcher] = {}
        self._cues: dict[str, list[_Cue]] = {}
        for lang in LANGS:
            if lang not in spec.negation:
                raise ValueError(f"negation settings for {lang!r} are missing")
            phrases: dict[str, _Cue] = {}
            for label, emo in spec.emotions.items():
                for phrase in getattr(emo, lang):
                    _add(phrases, phrase, _Cue(label, emo.negated, 0.0))
            for phrase, shift in spec.polarity.get(lang, {}).items():
                _add(phrases, phrase, _Cue(None, None, float(shift)))
            neg = spec.negation[lang]
            negation = Negation(neg.negators, neg.pseudo, neg.window, neg.rhetorical)
            self._matchers[lang] = CueMatcher(list(phrases), negation, lang)
            self._cues[lang] = list(phrases.values())

    def analyse(self, texts: Sequence[str | None], lang: str) -> tuple[list[tuple[str, ...]], np.ndarray]:
        """Sorted emotion labels and the polarity log-odds shift of every text (all in ``lang``)."""
        cues = self._cues[lang]
        labels: list[tuple[str, ...]] = []
        shifts = np.zeros(len(texts), dtype=np.float64)
        for i, matches in enumerate(self._matchers[lang].find(texts)):
            shown: set[str] = set()
            for m in matches:
                cue = cues[m.cue]
                label = cue.negated_label if m.negated else cue.label
                if label is not None:
                    shown.add(label)
                if not m.negated:
                    shifts[i] += cue.shift
            shifts[i] += sum(self.valence[label] for label in shown)
            labels.append(tuple(sorted(shown)))
        return labels, shifts


def _add(phrases: dict[str, _Cue], phrase: str, cue: _Cue) -> None:
    key = phrase.strip().lower()
    if not key:
        raise ValueError("empty cue phrase")
    if key in phrases:
        raise ValueError(f"cue {phrase!r} is listed twice")
    phrases[key] = cue


@functools.cache
def builtin_lexicon() -> Lexicon:
    """The lexicon shipped with CSQM (loaded once)."""
    text = resources.files("csqm.inspection.sentiment").joinpath("lexicon.yaml").read_text(encoding="utf-8")
    return Lexicon(yaml.safe_load(text))
