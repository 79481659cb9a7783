"""Compiled inner loops of the built-in text detectors (numba, compiled once and cached on disk).

Every function here works on the UTF-8 bytes of a batch's turns, back to back, and the byte offset
where each turn starts (``starts``, length turns + 1). Offsets are int64 and all arithmetic is done
in int64 on purpose: numba silently turns a mix of signed and unsigned integers into floats, which
made an early version of the scan ten times slower.

Text is ASCII lower-cased as it is read (phrases come lower-cased), so the batch's text buffer is
searched as it is, without a lower-cased copy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from numba import njit

#: Bytes that are ASCII letters or digits (a Latin phrase glued to one is not a whole word).
WORD = np.zeros(256, dtype=np.bool_)
WORD[[ord(c) for c in "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"]] = True

_F = TypeVar("_F", bound=Callable[..., Any])
#: An integer inside compiled code (a numpy int64 or a Python int: numba treats both as int64).
Int = Any


def _jit(fn: _F) -> _F:
    """Compiled on first call, cached on disk (``__pycache__``), runs without the GIL."""
    return cast(_F, njit(cache=True, nogil=True)(fn))


def _inline(fn: _F) -> _F:
    """Compiled into the kernels that call it."""
    return cast(_F, njit(inline="always")(fn))


@_inline
def _lower(b: Int) -> Int:
    return b + 32 if 65 <= b <= 90 else b


@_inline
def _decode(data: np.ndarray, i: Int, end: Int) -> tuple[Int, Int]:
    """The code point at byte ``i`` (ASCII lower-cased) and where the next character starts.
    A sequence cut off by the end of the turn reads as U+FFFF (in no phrase)."""
    c = np.int64(data[i])
    if c < 0x80:
        return _lower(c), i + 1
    if c < 0xE0:
        if i + 2 > end:
            return np.int64(0xFFFF), end
        return ((c & 0x1F) << 6) | (np.int64(data[i + 1]) & 0x3F), i + 2
    if c < 0xF0:
        if i + 3 > end:
            return np.int64(0xFFFF), end
        return ((c & 0x0F) << 12) | ((np.int64(data[i + 1]) & 0x3F) << 6) | (np.int64(data[i + 2]) & 0x3F), i + 3
    if i + 4 > end:
        return np.int64(0xFFFF), end
    return (
        ((c & 0x07) << 18)
        | ((np.int64(data[i + 1]) & 0x3F) << 12)
        | ((np.int64(data[i + 2]) & 0x3F) << 6)
        | (np.int64(data[i + 3]) & 0x3F)
    ), i + 4


@_jit
def scan(
    data: np.ndarray,
    starts: np.ndarray,
    turns: np.ndarray,
    classes: np.ndarray,
    table: np.ndarray,
    n_classes: int,
    out_start: np.ndarray,
    out_ids: np.ndarray,
    length: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    word: np.ndarray,
    out: np.ndarray,
) -> int:
    """Aho-Corasick over the characters of ``turns``; writes (phrase, turn, start, end) columns
    into ``out`` while there is room and returns how many hits there are (room or not)."""
    capacity = out.shape[1]
    n_codes = len(classes)
    k = 0
    for t in turns:
        lo = starts[t]
        end = starts[t + 1]
        state = np.int64(0)
        i = lo
        while i < end:
            code, i = _decode(data, i, end)
            x = np.int64(classes[code]) if code < n_codes else np.int64(0)
            if x == 0:
                state = np.int64(0)
                continue
            move = np.int64(table[state + x])
            if move >= 0:
                state = move
                continue
            state = -move - 1
            s = state // n_classes
            for j in range(out_start[s], out_start[s + 1]):
                p = out_ids[j]
                first = i - length[p]
                if left[p] and first > lo and word[data[first - 1]]:
                    continue
                if right[p] and i < end and word[data[i]]:
                    continue
                if k < capacity:
                    out[0, k] = p
                    out[1, k] = t
                    out[2, k] = first - lo
                    out[3, k] = i - lo
                k += 1
    return k


@_jit
def group(hits: np.ndarray, n_phrases: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hits ordered by phrase, keeping their order within a phrase (a counting sort): the rows of
    phrase ``p`` are ``first[p]:first[p + 1]``."""
    n = hits.shape[1]
    first = np.zeros(n_phrases + 1, dtype=np.int64)
    for k in range(n):
        first[hits[0, k] + 1] += 1
    for p in range(n_phrases):
        first[p + 1] += first[p]
    fill = first[:-1].copy()
    turn = np.empty(n, dtype=np.int64)
    start = np.empty(n, dtype=np.int64)
    end = np.empty(n, dtype=np.int64)
    for k in range(n):
        p = hits[0, k]
        at = fill[p]
        fill[p] += 1
        turn[at] = hits[1, k]
        start[at] = hits[2, k]
        end[at] = hits[3, k]
    return first, turn, start, end


@_jit
def char_offsets(data: np.ndarray, starts: np.ndarray, turns: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Character offsets of byte offsets (at character boundaries) inside their turns: bytes minus
    the UTF-8 continuation bytes before them."""
    out = np.empty(len(offsets), dtype=np.int64)
    for k in range(len(offsets)):
        lo = starts[turns[k]]
        chars = offsets[k]
        for i in range(lo, lo + offsets[k]):
            if (data[i] & 0xC0) == 0x80:
                chars -= 1
        out[k] = chars
    return out


@_inline
def _occurs_at(
    data: np.ndarray, lo: Int, end: Int, at: Int, phrase: np.ndarray, glue_left: bool, glue_right: bool, word: Any
) -> bool:
    """Whether ``phrase`` (lower-cased bytes) starts at byte ``at`` of the turn ``lo:end`` as a whole word."""
    n = len(phrase)
    if at < lo or at + n > end:
        return False
    for j in range(n):
        if _lower(np.int64(data[at + j])) != phrase[j]:
            return False
    if glue_left and at > lo and word[data[at - 1]]:
        return False
    return not (glue_right and at + n < end and word[data[at + n]])


@_jit
def kept(
    data: np.ndarray,
    starts: np.ndarray,
    turn: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    cues: np.ndarray,
    cue_first: np.ndarray,
    cue_glue: np.ndarray,
    window: int,
    exceptions: np.ndarray,
    exc_first: np.ndarray,
    exc_glue: np.ndarray,
) -> np.ndarray:
    """Hits (byte spans in their turn) that no negation cue ends right before — at most ``window``
    characters before the hit, or touching it — and that lie inside no exception phrase.

    Phrase lists are concatenated bytes with ``*_first`` boundaries (length n + 1) and ``*_glue``
    (n × 2: must not be glued to a letter or digit on the left / right)."""
    keep = np.ones(len(turn), dtype=np.bool_)
    for k in range(len(turn)):
        lo = starts[turn[k]]
        hi = starts[turn[k] + 1]
        s = lo + start[k]
        e = lo + end[k]
        # candidate end positions of a cue: the hit's start and up to ``window`` characters before
        at = s
        steps = 0
        while keep[k] and steps <= window and at >= lo:
            for c in range(len(cue_first) - 1):
                cue = cues[cue_first[c] : cue_first[c + 1]]
                if _occurs_at(data, lo, hi, at - len(cue), cue, cue_glue[c, 0], cue_glue[c, 1], WORD):
                    keep[k] = False
                    break
            at -= 1
            while at > lo and (data[at] & 0xC0) == 0x80:
                at -= 1
            steps += 1
        for x in range(len(exc_first) - 1):
            if not keep[k]:
                break
            phrase = exceptions[exc_first[x] : exc_first[x + 1]]
            for q in range(max(lo, e - len(phrase)), s + 1):
                if _occurs_at(data, lo, hi, q, phrase, exc_glue[x, 0], exc_glue[x, 1], WORD):
                    keep[k] = False
                    break
    return keep
