"""The detector interface: one small class per kind of check, behind one ``detect`` method.

A detector is built from one rule's ``params`` (validated with its ``Params`` pydantic model) and
finds, in a whole :class:`~csqm.inspection.batch.Batch` at once, the turns or conversations the rule
is about. It only *detects*: severity, scorecard item and deductions are decided elsewhere.

Third parties subclass :class:`Detector` (vectorised) or the simpler :class:`ConversationDetector`
(one conversation at a time) and publish the class through the ``csqm.detectors`` entry point group.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict

from csqm.inspection.batch import Batch
from csqm.inspection.detectors.terms import Hits, PhraseHits, PhraseIndex, Terms, match_terms
from csqm.inspection.model import SPEAKERS


class NoParams(BaseModel):
    """For detectors without parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SentimentModel(Protocol):
    """What the sentiment detectors need (``csqm.inspection.sentiment`` provides it)."""

    def sentiment_scores(self, texts: Sequence[str | None], lang: str | None = None) -> np.ndarray: ...

    def emotions(self, texts: Sequence[str | None], lang: str | None = None) -> list[tuple[str, ...]]: ...


@dataclass(frozen=True)
class Scope:
    """Where a rule applies in a batch: conversations in its channel/scenario/language scope, and
    within those the turns of its speakers. The engine gives rules with the same conversations and
    speakers the same (read-only) arrays: copy them before changing them."""

    conversations: np.ndarray
    turns: np.ndarray
    speakers: tuple[str, ...]


@dataclass(frozen=True)
class Detected:
    """A detector's output: one row per finding, plus the conversations where the rule applied.

    ``turn`` is -1 (and ``start``/``end`` -1) for findings about a whole conversation. ``evidence``
    may be ``None`` for span findings: the engine then cuts an excerpt of the masked text.
    ``applicable`` (per conversation) marks where the rule could be judged; ``None`` means "in scope".
    """

    conv: np.ndarray
    turn: np.ndarray
    start: np.ndarray
    end: np.ndarray
    evidence: list[str | None]
    applicable: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.conv)

    @classmethod
    def none(cls, applicable: np.ndarray | None = None) -> Detected:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, z, [], applicable)

    @classmethod
    def from_hits(cls, batch: Batch, hits: Hits, applicable: np.ndarray | None = None) -> Detected:
        """One finding per hit, evidence cut from the text."""
        return cls(batch.conv[hits.turn], hits.turn, hits.start, hits.end, [None] * len(hits), applicable)

    @classmethod
    def whole(cls, convs: np.ndarray, evidence: str | list[str], applicable: np.ndarray | None = None) -> Detected:
        """One conversation-level finding per conversation in ``convs``."""
        convs = np.asarray(convs, dtype=np.int64)
        neg = np.full(len(convs), -1, dtype=np.int64)
        texts: list[str | None] = [evidence] * len(convs) if isinstance(evidence, str) else list(evidence)
        return cls(convs, neg, neg, neg, texts, applicable)

    @classmethod
    def at_turns(cls, batch: Batch, turns: np.ndarray, evidence: list[str]) -> Detected:
        """One finding per turn, covering the whole turn."""
        turns = np.asarray(turns, dtype=np.int64)
        zero = np.zeros(len(turns), dtype=np.int64)
        return cls(batch.conv[turns], turns, zero, batch.char_length[turns], list(evidence))


class DetectContext:
    """Everything detectors share for one batch: the batch, the phrase hits and model outputs."""

    def __init__(self, batch: Batch, index: PhraseIndex, sentiment: SentimentModel | None = None) -> None:
        self.batch = batch
        self.index = index
        self._sentiment = sentiment
        self._polarity: dict[int, float] = {}
        self._emotions: dict[int, tuple[str, ...]] = {}

    @functools.cached_property
    def phrase_hits(self) -> PhraseHits:
        return self.index.search(self.batch)

    def match(self, terms: Terms, turns: np.ndarray, *, chars: bool = True) -> Hits:
        """Hits of ``terms`` inside the turns where the mask ``turns`` holds, with character spans
        (``chars=False``: UTF-8 byte spans, in the same order; cheaper when only turns matter)."""
        if self.index.is_sparse(terms):  # not in the batch-wide automaton: searched on its own, in these turns
            return match_terms(terms, self.index, PhraseHits.empty(self.batch), turns, chars=chars)
        return match_terms(terms, self.index, self.phrase_hits, turns, chars=chars)

    def turns_with(self, terms: Terms, turns: np.ndarray) -> np.ndarray:
        """The turn of every hit of ``terms`` inside the turns where the mask ``turns`` holds (a turn
        may repeat): all "was it said" needs, without spans, overlaps or character offsets."""
        if terms.regex or terms.negations or terms.exceptions or self.index.is_sparse(terms):
            return self.match(terms, turns, chars=False).turn
        found = self.phrase_hits.of(self.index, terms.phrases).turn
        return np.asarray(found[turns[found]])

    @property
    def sentiment(self) -> SentimentModel:
        if self._sentiment is None:
            from csqm.inspection.detectors.sentiment import default_model

            self._sentiment = default_model()
        return self._sentiment

    def polarity(self, turns: np.ndarray) -> np.ndarray:
        """Sentiment polarity in [-1, 1] of the given turn indices (each turn scored once per batch)."""
        todo = [t for t in turns.tolist() if t not in self._polarity]
        if todo:
            scores = self.sentiment.sentiment_scores([self.batch.text_of(t) for t in todo], self._lang(todo))
            self._polarity.update(zip(todo, np.asarray(scores, dtype=float).tolist(), strict=True))
        return np.array([self._polarity[t] for t in turns.tolist()], dtype=float)

    def emotions(self, turns: np.ndarray) -> list[tuple[str, ...]]:
        """Emotion labels of the given turn indices (each turn labelled once per batch)."""
        todo = [t for t in turns.tolist() if t not in self._emotions]
        if todo:
            labels = self.sentiment.emotions([self.batch.text_of(t) for t in todo], self._lang(todo))
            self._emotions.update(zip(todo, labels, strict=True))
        return [self._emotions[t] for t in turns.tolist()]

    def _lang(self, turns: list[int]) -> str | None:
        langs = {self.batch.language[self.batch.conv[t]] for t in turns}
        return next(iter(langs)) if len(langs) == 1 else None


class Detector(ABC):
    """Base class of every detector. Subclasses set ``name`` and ``Params`` and implement
    :meth:`detect`; the class docstring is what ``csqm inspect --rules`` and the docs show.

    Bump ``version`` when a change in code changes what the detector finds: rules using it are then
    re-inspected.
    """

    name: ClassVar[str]
    Params: ClassVar[type[BaseModel]] = NoParams
    version: ClassVar[str] = "1"
    #: Speakers a rule of this detector applies to when the rule names none.
    default_speakers: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: BaseModel) -> None:
        self.params = params

    @classmethod
    def from_params(cls, raw: dict[str, Any]) -> Detector:
        """Validate ``raw`` against :attr:`Params` and build the detector."""
        return cls(cls.Params.model_validate(raw))

    def terms(self) -> Sequence[Terms]:
        """Phrase sets this detector searches (added to the batch's one phrase index)."""
        return ()

    def sparse_terms(self) -> Sequence[Terms]:
        """Those of :meth:`terms` only ever searched in a few turns (a speaker's first or last N
        turns, conversations with a disclosure). A hint, and only a matter of speed: the engine now
        searches them in its one compiled pass over the batch with every other phrase (a hit costs a
        few nanoseconds there, less than a second pass over the few turns)."""
        return ()

    @abstractmethod
    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        """Findings in ``ctx.batch`` within ``scope``."""


@dataclass(frozen=True)
class Turn:
    """One turn as :class:`ConversationDetector` sees it."""

    index: int
    seq: int
    speaker: str
    text: str
    offset: float
    pii_kinds: tuple[str, ...]


class ConversationDetector(Detector):
    """Convenience base for plug-ins: look at one conversation at a time (slower, simpler).

    Implement :meth:`check`, returning ``(turn index or None, start, end, evidence)`` tuples.
    """

    @abstractmethod
    def check(self, turns: list[Turn], conversation: dict[str, Any]) -> list[tuple[int | None, int, int, str]]:
        """Findings in one conversation (only the rule's speakers' turns are passed)."""

    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        b = ctx.batch
        rows: list[tuple[int, int, int, int, str]] = []
        for c in np.flatnonzero(scope.conversations).tolist():
            turns = [self._turn(b, t) for t in range(b.starts[c], b.starts[c + 1]) if scope.turns[t]]
            info = {"interaction_id": b.ids[c], "channel": b.channel[c], "topic": b.topic[c]}
            for turn, start, end, evidence in self.check(turns, info):
                rows.append((c, -1 if turn is None else turn, start, end, evidence))
        if not rows:
            return Detected.none()
        cols = list(zip(*rows, strict=True))
        arrays = [np.asarray(col, dtype=np.int64) for col in cols[:4]]
        starts = np.where(arrays[1] < 0, -1, arrays[2])
        ends = np.where(arrays[1] < 0, -1, arrays[3])
        return Detected(arrays[0], arrays[1], starts, ends, list(cols[4]))

    @staticmethod
    def _turn(b: Batch, t: int) -> Turn:
        pii = b.pii[t].as_py()
        kinds = tuple(k for k in (pii or "").split(",") if k)
        speaker = SPEAKERS[b.speaker[t]] if b.speaker[t] >= 0 else "unknown"
        return Turn(t, int(b.seq[t]), speaker, b.text_of(t), float(b.offset[t]), kinds)
