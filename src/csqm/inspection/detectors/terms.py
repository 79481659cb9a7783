"""What a rule looks for in text: phrases and/or a regular expression, with negation and exceptions.

All phrases of all rules are searched in one pass (:class:`PhraseIndex`: one character-level
Aho-Corasick automaton, run by compiled code over the UTF-8 bytes of every turn of a batch straight
from the Arrow buffer), so adding a rule costs almost nothing.
Matching ignores ASCII case. Offsets reported to detectors are characters inside the turn's masked text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from csqm.inspection.batch import Batch
from csqm.inspection.detectors import kernels
from csqm.inspection.detectors.automaton import Automaton

_SHIFT = np.int64(1 << 32)


class Terms(BaseModel):
    """Phrases (any of) and/or a regex. A hit preceded by a ``negations`` cue within
    ``negation_window`` characters (e.g. 不是 before 骗你) or inside an ``exceptions`` phrase is ignored.
    ``prefilter``: literals every regex match contains; only turns with one are searched (fast)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    phrases: tuple[str, ...] = ()
    regex: str | None = None
    prefilter: tuple[str, ...] = ()
    negations: tuple[str, ...] = ()
    negation_window: int = Field(4, ge=0, le=50)
    exceptions: tuple[str, ...] = ()

    @field_validator("phrases", "prefilter", "negations", "exceptions")
    @classmethod
    def _no_blank(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not p.strip() for p in value):
            raise ValueError("phrases must not be empty")
        return tuple(p.strip() for p in value)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            compiled = re.compile(value, re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        if compiled.fullmatch(""):
            raise ValueError("the regular expression matches the empty string")
        return value

    @model_validator(mode="after")
    def _something(self) -> Terms:
        if not self.phrases and not self.regex:
            raise ValueError("give phrases, a regex, or both")
        return self

    def literals(self) -> set[str]:
        """Every literal the phrase index must search for these terms (negation cues and exceptions
        are looked for in the text around each hit instead)."""
        return {p.lower() for p in (*self.phrases, *self.prefilter)}


@dataclass(frozen=True)
class Hits:
    """Matches in a batch: turn index, span inside the turn, and which phrase (-1 for the regex).

    :meth:`DetectContext.match <csqm.inspection.detectors.base.DetectContext.match>` returns character
    spans; inside the matcher spans are UTF-8 byte offsets (same order, converted only for what is kept).
    """

    turn: np.ndarray
    start: np.ndarray
    end: np.ndarray
    term: np.ndarray

    @classmethod
    def empty(cls) -> Hits:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, z)

    def __len__(self) -> int:
        return len(self.turn)

    def where(self, keep: np.ndarray) -> Hits:
        return Hits(self.turn[keep], self.start[keep], self.end[keep], self.term[keep])

    def sorted(self) -> Hits:
        order = np.lexsort((self.start, self.turn))
        return self.where(order)

    def in_chars(self, batch: Batch) -> Hits:
        """These hits with byte spans turned into character spans."""
        if not len(self):
            return self
        start = batch.char_offsets(self.turn, self.start)
        return Hits(self.turn, start, batch.char_offsets(self.turn, self.end), self.term)

    @classmethod
    def concat(cls, parts: Iterable[Hits]) -> Hits:
        items = [p for p in parts if len(p)]
        if not items:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in items]) for f in ("turn", "start", "end", "term")))


class PhraseIndex:
    """One automaton over every literal of every rule, searched once per batch by compiled code
    (:mod:`~csqm.inspection.detectors.automaton`).

    ``sparse`` terms (those a detector only ever searches in a few turns) are part of the same
    automaton: with the compiled search a hit costs a few nanoseconds, so one pass over the text for
    everything is cheaper than a second pass over the few turns. Terms that are not covered (a
    plug-in matching phrases it did not list in ``terms()``) get their own small automaton.
    """

    def __init__(self, literals: Iterable[str], sparse: Iterable[Terms] = ()) -> None:
        everything = {lit for lit in literals if lit} | {lit for t in sparse for lit in t.literals()}
        self.patterns = sorted(everything)
        self.ids = {p: i for i, p in enumerate(self.patterns)}
        self._automaton = Automaton.build(self.patterns) if self.patterns else None
        self._own: dict[Terms, PhraseIndex] = {}
        self._sparse: dict[Terms, bool] = {}

    def covers(self, terms: Terms) -> bool:
        """Whether every literal of ``terms`` is in this automaton."""
        return all(lit in self.ids for lit in terms.literals())

    def is_sparse(self, terms: Terms) -> bool:
        """Whether ``terms`` are searched with their own automaton (not covered by this one)."""
        if terms not in self._sparse:
            self._sparse[terms] = not self.covers(terms)
        return self._sparse[terms]

    def own_index(self, terms: Terms) -> PhraseIndex:
        """The small automaton of ``terms`` alone (built once)."""
        if terms not in self._own:
            self._own[terms] = PhraseIndex(terms.literals())
        return self._own[terms]

    def search(self, batch: Batch, turns: np.ndarray | None = None) -> PhraseHits:
        """All phrase occurrences in ``batch`` (overlapping ones included), or only in the turns
        with the given indices."""
        if self._automaton is None or batch.n_turns == 0 or (turns is not None and not len(turns)):
            return PhraseHits.empty(batch, len(self.patterns))
        data, starts = batch.utf8
        which = np.arange(batch.n_turns, dtype=np.int64) if turns is None else np.asarray(turns, dtype=np.int64)
        return PhraseHits(batch, *self._automaton.search(data, starts, which))


class PhraseHits:
    """The phrase index's matches in one batch (byte spans inside the turn), grouped by phrase:
    the hits of pattern ``p`` are rows ``first[p]:first[p + 1]``, in turn then start order."""

    def __init__(self, batch: Batch, first: np.ndarray, turn: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
        self.batch = batch
        self._first = first
        self._turn = turn
        self._start = start
        self._end = end

    @classmethod
    def empty(cls, batch: Batch, n_patterns: int = 0) -> PhraseHits:
        z = np.zeros(0, dtype=np.int64)
        return cls(batch, np.zeros(n_patterns + 1, dtype=np.int64), z, z, z)

    def __len__(self) -> int:
        return len(self._turn)

    def of(self, index: PhraseIndex, phrases: Iterable[str]) -> Hits:
        """Hits of ``phrases`` (``term`` = position in ``phrases``), in byte offsets inside the turn."""
        wanted = np.array([index.ids[p.lower()] for p in phrases], dtype=np.int64)
        if not len(wanted) or not len(self._turn):
            return Hits.empty()
        lo, hi = self._first[wanted], self._first[wanted + 1]
        n = hi - lo
        total = int(n.sum())
        if not total:
            return Hits.empty()
        # positions lo[i], lo[i] + 1, …, hi[i] - 1 for every phrase, back to back
        take = np.arange(total) + np.repeat(lo - np.concatenate(([0], np.cumsum(n)[:-1])), n)
        term = np.repeat(np.arange(len(wanted)), n)
        return Hits(self._turn[take], self._start[take], self._end[take], term)


def match_terms(terms: Terms, index: PhraseIndex, hits: PhraseHits, turns: np.ndarray, *, chars: bool = True) -> Hits:
    """Hits of ``terms`` in the turns where ``turns`` (a boolean mask) holds, negations applied.
    Spans are characters, or with ``chars=False`` UTF-8 bytes (cheaper when only turns matter)."""
    batch = hits.batch
    if index.is_sparse(terms):  # their own automaton, over these turns only
        index = index.own_index(terms)
        hits = index.search(batch, np.flatnonzero(turns))
    found = hits.of(index, terms.phrases)
    found = found.where(turns[found.turn])
    if terms.regex:
        found = Hits.concat([found, _regex_hits(terms, index, hits, turns)])
    if (terms.negations or terms.exceptions) and len(found):
        found = found.where(_kept(batch, found, terms))
    found = _leftmost_longest(found)
    return found.in_chars(batch) if chars else found


def _leftmost_longest(found: Hits) -> Hits:
    """Drop hits overlapping an earlier (or, at the same start, longer) hit of the same turn:
    "这不归我管" is one finding, not two with "不归我管"."""
    if len(found) < 2:
        return found.sorted()
    found = found.where(_by_turn_start_longest(found))
    reach = np.maximum.accumulate(found.turn * _SHIFT + found.end)
    keep = np.ones(len(found), dtype=bool)
    keep[1:] = reach[:-1] <= found.turn[1:] * _SHIFT + found.start[1:]
    return found.where(keep)


def _by_turn_start_longest(found: Hits) -> np.ndarray:
    """The order of hits by turn, then start, then longest first (stable). One int64 key and one
    sort when offsets are small enough to pack (always, for turns under a megabyte)."""
    if found.end.max() < 1 << 20 and found.turn.max() < 1 << 22 and found.start.min() >= 0:
        key = (found.turn << 41) | (found.start << 20) | ((1 << 20) - 1 - found.end)
        return np.argsort(key, kind="stable")
    return np.lexsort((-found.end, found.start, found.turn))


def _regex_hits(terms: Terms, index: PhraseIndex, hits: PhraseHits, turns: np.ndarray) -> Hits:
    """Regex matches (byte spans) in the candidate turns, searched in the ASCII lower-cased text."""
    batch = hits.batch
    if terms.prefilter:
        candidates = np.unique(hits.of(index, terms.prefilter).turn)
        candidates = candidates[turns[candidates]]
    else:
        candidates = np.flatnonzero(turns)
    if not len(candidates):
        return Hits.empty()
    pattern = re.compile(terms.regex or "", re.IGNORECASE)
    texts = pc.ascii_lower(batch.text.take(pa.array(candidates))).to_pylist()
    rows = [
        (t, *m.span())
        for t, text in zip(candidates.tolist(), texts, strict=True)
        for m in pattern.finditer(text or "")
        if m.end() > m.start()
    ]
    if not rows:
        return Hits.empty()
    arr = np.array(rows, dtype=np.int64)
    data, starts = batch.utf8
    turn = arr[:, 0]
    # character spans to byte spans, all at once (the rest of the matcher works in bytes)
    start, end = (kernels.byte_offsets(data, starts, turn, arr[:, i]) for i in (1, 2))
    return Hits(turn, start, end, np.full(len(arr), -1, dtype=np.int64))


def _kept(batch: Batch, found: Hits, terms: Terms) -> np.ndarray:
    """Hits (byte spans) that no negation cue ends right before (within ``negation_window``
    characters, or touching) and that lie inside no exception phrase; checked in each hit's turn
    (compiled: whole words for Latin cues and exceptions, as the phrase index matches them)."""
    data, starts = batch.utf8
    cues, cue_first, cue_glue = _packed(terms.negations)
    exceptions, exc_first, exc_glue = _packed(terms.exceptions)
    negations = (cues, cue_first, cue_glue, terms.negation_window)
    return np.asarray(
        kernels.kept(data, starts, found.turn, found.start, found.end, *negations, exceptions, exc_first, exc_glue)
    )


@functools.lru_cache(maxsize=512)
def _packed(phrases: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower-cased phrases as one byte array, where each starts (n + 1), and whether each must not be
    glued to a letter or digit on the left / right."""
    encoded = [p.lower().encode("utf-8") for p in phrases]
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8).astype(np.int64)
    first = np.concatenate(([0], np.cumsum([len(e) for e in encoded]))).astype(np.int64)
    lowered = [p.lower() for p in phrases]
    glue = np.array([[_is_word(p[0]), _is_word(p[-1])] for p in lowered], dtype=np.bool_).reshape(-1, 2)
    return data, first, glue


def _is_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()
