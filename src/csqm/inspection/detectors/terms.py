"""What a rule looks for in text: phrases and/or a regular expression, with negation and exceptions.

All phrases of all rules are searched in one pass (:class:`PhraseIndex`, one Aho-Corasick automaton
over the UTF-8 bytes of every turn of a batch back to back), so adding a rule costs almost nothing.
Matching ignores ASCII case. Offsets reported to detectors are characters inside the turn's masked text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick_rs
import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from csqm.inspection.batch import Batch

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


#: Bytes that are ASCII letters or digits (a Latin phrase glued to one is not a whole word).
_WORD = np.zeros(256, dtype=bool)
_WORD[[ord(c) for c in "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"]] = True


class PhraseIndex:
    """One automaton over every literal of every rule; searched once per batch (over UTF-8 bytes).

    ``sparse`` terms are only ever searched in a few turns (a speaker's first or last N turns, the
    conversations with a disclosure): each gets its own small automaton, run over just the turns
    asked for, and their literals stay out of the batch-wide one (fewer hits to sort through).
    """

    def __init__(self, literals: Iterable[str], sparse: Iterable[Terms] = ()) -> None:
        self.patterns = sorted({lit for lit in literals if lit})
        self.ids = {p: i for i, p in enumerate(self.patterns)}
        # Latin phrases match whole words only ("sue" is not in "issue"); CJK has no word boundaries.
        self.left = np.array([p[0].isascii() and p[0].isalnum() for p in self.patterns], dtype=bool)
        self.right = np.array([p[-1].isascii() and p[-1].isalnum() for p in self.patterns], dtype=bool)
        self._automaton = (
            ahocorasick_rs.BytesAhoCorasick(
                [p.encode("utf-8") for p in self.patterns], implementation=ahocorasick_rs.Implementation.DFA
            )
            if self.patterns
            else None
        )
        self._own: dict[Terms, PhraseIndex] = {}
        for terms in sparse:
            self.own_index(terms)

    def covers(self, terms: Terms) -> bool:
        """Whether every literal of ``terms`` is in this automaton."""
        return all(lit in self.ids for lit in terms.literals())

    def is_sparse(self, terms: Terms) -> bool:
        """Whether ``terms`` are searched with their own automaton (declared sparse, or not covered)."""
        return terms in self._own or not self.covers(terms)

    def own_index(self, terms: Terms) -> PhraseIndex:
        """The small automaton of ``terms`` alone (built once)."""
        if terms not in self._own:
            self._own[terms] = PhraseIndex(terms.literals())
        return self._own[terms]

    def search(self, batch: Batch, turns: np.ndarray | None = None) -> PhraseHits:
        """All phrase occurrences in ``batch`` (overlapping ones included), or only in the turns
        with the given indices."""
        if self._automaton is None or batch.n_turns == 0 or (turns is not None and not len(turns)):
            return PhraseHits(batch, np.zeros((0, 3), dtype=np.int64))
        if turns is None:
            data, starts, ids = batch.lower_bytes, batch.byte_starts, None
        else:
            ids = np.asarray(turns, dtype=np.int64)
            data, starts = batch.bytes_of(ids)
        found = self._automaton.find_matches_as_indexes(data, overlapping=True)
        flat = np.fromiter(itertools.chain.from_iterable(found), dtype=np.int64, count=3 * len(found))
        return PhraseHits(batch, flat.reshape(-1, 3), self, data, starts, ids)


class PhraseHits:
    """The phrase index's matches in one batch (byte spans), grouped by phrase for quick selection."""

    def __init__(
        self,
        batch: Batch,
        raw: np.ndarray,
        index: PhraseIndex | None = None,
        data: bytes | None = None,
        starts: np.ndarray | None = None,
        ids: np.ndarray | None = None,
    ) -> None:
        self.batch = batch
        self.index = index
        if starts is None:
            starts = batch.byte_starts
        turn = np.searchsorted(starts, raw[:, 1], side="right") - 1
        inside = raw[:, 2] <= starts[turn + 1]  # never across two turns
        raw, turn = raw[inside], turn[inside]
        if index is not None and len(raw):
            text = batch.lower_bytes if data is None else data
            keep = _whole_words(text, raw, starts[turn], starts[turn + 1], index)
            raw, turn = raw[keep], turn[keep]
        order = np.argsort(raw[:, 0], kind="stable")
        self._pattern = raw[order, 0]
        local = turn[order]
        self._turn = local if ids is None else ids[local]
        self._start = raw[order, 1] - starts[local]
        self._end = raw[order, 2] - starts[local]

    def of(self, index: PhraseIndex, phrases: Iterable[str]) -> Hits:
        """Hits of ``phrases`` (``term`` = position in ``phrases``), in byte offsets inside the turn."""
        wanted = [index.ids[p.lower()] for p in phrases]
        if not wanted or not len(self._pattern):
            return Hits.empty()
        lo = np.searchsorted(self._pattern, wanted, side="left")
        hi = np.searchsorted(self._pattern, wanted, side="right")
        n = hi - lo
        total = int(n.sum())
        if not total:
            return Hits.empty()
        # positions lo[i], lo[i] + 1, …, hi[i] - 1 for every phrase, back to back
        take = np.arange(total) + np.repeat(lo - np.concatenate(([0], np.cumsum(n)[:-1])), n)
        term = np.repeat(np.arange(len(wanted)), n)
        return Hits(self._turn[take], self._start[take], self._end[take], term)


def _whole_words(data: bytes, raw: np.ndarray, lo: np.ndarray, hi: np.ndarray, index: PhraseIndex) -> np.ndarray:
    """Hits of Latin phrases not glued to a letter or digit on either side (checked on the bytes:
    the bytes of a non-ASCII character are never ASCII letters or digits)."""
    pattern, start, end = raw[:, 0], raw[:, 1], raw[:, 2]
    left, right = index.left[pattern] & (start > lo), index.right[pattern] & (end < hi)
    if not (left.any() or right.any()):
        return np.ones(len(raw), dtype=bool)
    text = np.frombuffer(data, dtype=np.uint8)
    last = len(text) - 1
    glued_left = left & _WORD[text[np.clip(start - 1, 0, last)]]
    glued_right = right & _WORD[text[np.clip(end, 0, last)]]
    return np.asarray(~(glued_left | glued_right))


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
    found = found.where(np.lexsort((-found.end, found.start, found.turn)))
    reach = np.maximum.accumulate(found.turn * _SHIFT + found.end)
    keep = np.ones(len(found), dtype=bool)
    keep[1:] = reach[:-1] <= found.turn[1:] * _SHIFT + found.start[1:]
    return found.where(keep)


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
    texts = batch.lower.take(pa.array(candidates)).to_pylist()
    rows: list[tuple[int, int, int]] = []
    for t, text in zip(candidates.tolist(), texts, strict=True):
        for m in pattern.finditer(text or ""):
            if m.end() > m.start():
                start = len(text[: m.start()].encode("utf-8"))
                rows.append((t, start, start + len(m.group().encode("utf-8"))))
    if not rows:
        return Hits.empty()
    arr = np.array(rows, dtype=np.int64)
    return Hits(arr[:, 0], arr[:, 1], arr[:, 2], np.full(len(arr), -1, dtype=np.int64))


def _kept(batch: Batch, found: Hits, terms: Terms) -> np.ndarray:
    """Hits (byte spans) that no negation cue ends right before (within ``negation_window``
    characters, or touching) and that lie inside no exception phrase; checked in each hit's turn."""
    keep = np.ones(len(found), dtype=bool)
    negations = [n.lower() for n in terms.negations]
    exceptions = [x.lower() for x in terms.exceptions]
    window = terms.negation_window
    starts = batch.char_offsets(found.turn, found.start).tolist()
    ends = batch.char_offsets(found.turn, found.end).tolist()
    texts = batch.lower.take(pa.array(found.turn)).to_pylist()
    for i, (text, s, e) in enumerate(zip(texts, starts, ends, strict=True)):
        for cue in negations:
            if cue in text and _occurs(text, cue, max(0, s - window - len(cue)), s - len(cue)):
                keep[i] = False
                break
        else:
            for x in exceptions:
                if x in text and _occurs(text, x, max(0, e - len(x)), s):
                    keep[i] = False
                    break
    return keep


def _occurs(text: str, phrase: str, first: int, last: int) -> bool:
    """Whether ``phrase`` occurs in ``text`` starting at ``first``…``last`` (whole words for Latin
    phrases, as the phrase index matches them)."""
    left, right = _is_word(phrase[0]), _is_word(phrase[-1])
    i = text.find(phrase, first)
    while 0 <= i <= last:
        end = i + len(phrase)
        if not (left and i > 0 and _is_word(text[i - 1])) and not (right and end < len(text) and _is_word(text[end])):
            return True
        i = text.find(phrase, i + 1)
    return False


def _is_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()
