"""Compiled inner loops of the built-in text detectors (numba, compiled once and cached on disk).

Every function here works on the UTF-8 bytes of a batch's turns, back to back, and the byte offset
where each turn starts (``starts``, length turns + 1). Offsets are int64 and all arithmetic is done
in int64 on purpose: numba silently turns a mix of signed and unsigned integers into floats, which
made an early version of the scan ten times slower.

Text is ASCII lower-cased as it is read (phrases come lower-cased), so the batch's text buffer is
searched as it is, without a lower-cased copy.
"""

from __future__ import annotations

import functools
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


def _reading(fn: _F) -> _F:
    """Compiled like :func:`_jit`, for a kernel that only reads its arrays: they are passed
    C-contiguous and read-only, whatever views the caller holds (a slice, a shared read-only
    mask), so the kernel has one compiled version. Each new combination of layouts would compile
    (or load from the disk cache) another one on first use, taking 0.1–1 s in the middle of
    real-time processing. The compiled function is the wrapper's ``compiled``."""
    compiled = _jit(fn)

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        return compiled(*[_canonical(a) if type(a) is np.ndarray else a for a in args])

    call.compiled = compiled  # type: ignore[attr-defined]
    return cast(_F, call)


def _canonical(a: np.ndarray) -> np.ndarray:
    if not a.flags.c_contiguous:
        a = np.ascontiguousarray(a)
    if a.flags.writeable:
        a = a.view()
        a.flags.writeable = False
    return a


def _inline(fn: _F) -> _F:
    """Compiled into the kernels that call it."""
    return cast(_F, njit(inline="always")(fn))


@_inline
def _lower(b: Int) -> Int:
    return b + 32 if 65 <= b <= 90 else b


@_inline
def _decode(data: np.ndarray, i: Int, end: Int) -> tuple[Int, Int]:
    """The code point at byte ``i`` (ASCII lower-cased) and where the next character starts.
    A sequence cut off by the end of the turn reads as 0x110000 (beyond Unicode: in no phrase)."""
    c = np.int64(data[i])
    if c < 0x80:
        return _lower(c), i + 1
    if c < 0xE0:
        if i + 2 > end:
            return np.int64(0x110000), end
        return ((c & 0x1F) << 6) | (np.int64(data[i + 1]) & 0x3F), i + 2
    if c < 0xF0:
        if i + 3 > end:
            return np.int64(0x110000), end
        return ((c & 0x0F) << 12) | ((np.int64(data[i + 1]) & 0x3F) << 6) | (np.int64(data[i + 2]) & 0x3F), i + 3
    if i + 4 > end:
        return np.int64(0x110000), end
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
    last = len(classes) - 1
    k = 0
    for t in turns:
        lo = starts[t]
        end = starts[t + 1]
        state = np.int64(0)
        i = lo
        while i < end:
            code, i = _decode(data, i, end)
            # no branch on "is this character in a phrase" (half of them are, unpredictably): class 0
            # goes back to the root through the table like any other class; the last entry of
            # ``classes`` is 0 and catches every code point beyond it
            move = np.int64(table[state + np.int64(classes[min(code, last)])])
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


@_reading
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


@_reading
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


@_reading
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
                # most candidates fail on the cue's last byte: test that before anything else
                if at <= lo or _lower(np.int64(data[at - 1])) != cues[cue_first[c + 1] - 1]:
                    continue
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


@_inline
def _byte_at(data: np.ndarray, lo: Int, hi: Int, chars: Int) -> Int:
    """Byte offset of character ``chars`` of the turn ``lo:hi`` (clamped to the turn, like slicing)."""
    i = lo
    seen = 0
    while i < hi and seen < chars:
        i += 1
        while i < hi and (data[i] & 0xC0) == 0x80:
            i += 1
        seen += 1
    return i


@_inline
def _put(out: np.ndarray, at: Int, data: np.ndarray, a: Int, b: Int) -> Int:
    for i in range(a, b):
        out[at] = data[i]
        at += 1
    return at


@_inline
def _span_bytes(data: np.ndarray, lo: Int, hi: Int, start: Int, end: Int, context: Int) -> tuple[Int, Int, Int, Int]:
    """Byte offsets of characters ``start - context`` (at least 0), ``start``, ``end`` and
    ``end + context`` (at most the turn's end) of the turn ``lo:hi``, in one walk; -1 for a
    character past the end of the turn."""
    before = max(0, start - context)
    after = end + context
    a = s = e = -1
    i = lo
    chars = 0
    while True:
        if chars == before:
            a = i
        if chars == start:
            s = i
        if chars == end:
            e = i
        if chars >= after or i >= hi:
            return a, s, e, i
        i += 1
        while i < hi and (data[i] & 0xC0) == 0x80:
            i += 1
        chars += 1


@_reading
def excerpts(
    data: np.ndarray,
    starts: np.ndarray,
    turns: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    context: int,
    head: int,
    marks: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evidence of span findings, all at once: ``…`` + up to ``context`` characters + ``【`` + the
    match + ``】`` + up to ``context`` characters + ``…`` (the dots only where the turn goes on);
    the first ``head`` characters of the turn when the span is unknown (start < 0).

    Returns the UTF-8 bytes of every excerpt back to back, where each starts (n + 1), and which
    spans were out of order or outside their turn (left empty here: the caller cuts those in Python,
    with Python's slicing rules). ``marks`` holds the bytes of …, 【 and 】 (three each)."""
    n = len(turns)
    total = 0
    for k in range(n):
        total += starts[turns[k] + 1] - starts[turns[k]] + 12
    out = np.empty(total, dtype=np.uint8)
    first = np.zeros(n + 1, dtype=np.int64)
    odd = np.zeros(n, dtype=np.bool_)
    at = 0
    for k in range(n):
        lo = starts[turns[k]]
        hi = starts[turns[k] + 1]
        if start[k] < 0:
            at = _put(out, at, data, lo, _byte_at(data, lo, hi, head))
            first[k + 1] = at
            continue
        a, s, e, z = _span_bytes(data, lo, hi, start[k], end[k], context)
        if e < 0 or end[k] < start[k]:
            odd[k] = True
            first[k + 1] = at
            continue
        if a > lo:
            at = _put(out, at, marks, 0, 3)
        at = _put(out, at, data, a, s)
        at = _put(out, at, marks, 3, 6)
        at = _put(out, at, data, s, e)
        at = _put(out, at, marks, 6, 9)
        at = _put(out, at, data, e, z)
        if z < hi:
            at = _put(out, at, marks, 0, 3)
        first[k + 1] = at
    return out[:at], first, odd


@_reading
def window(conv_starts: np.ndarray, mask: np.ndarray, size: int, from_start: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per conversation, the first (or last) ``size`` turns among those where ``mask`` holds, and
    whether the conversation has any such turn."""
    in_window = np.zeros(len(mask), dtype=np.bool_)
    spoke = np.zeros(len(conv_starts) - 1, dtype=np.bool_)
    for c in range(len(conv_starts) - 1):
        lo = conv_starts[c]
        hi = conv_starts[c + 1]
        taken = 0
        for n in range(hi - lo):
            t = lo + n if from_start else hi - 1 - n
            if mask[t]:
                in_window[t] = True
                taken += 1
                if taken == size:
                    break
        spoke[c] = taken > 0
    return in_window, spoke


@_reading
def any_turn(conv_starts: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per conversation, whether ``mask`` holds for any of its turns."""
    out = np.zeros(len(conv_starts) - 1, dtype=np.bool_)
    for c in range(len(conv_starts) - 1):
        for t in range(conv_starts[c], conv_starts[c + 1]):
            if mask[t]:
                out[c] = True
                break
    return out


@_reading
def points(
    applicable: np.ndarray, weight: np.ndarray, f_conv: np.ndarray, f_item: np.ndarray, deduction: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points earned per (conversation, item row): the weight minus deductions where applicable,
    else 0; per conversation the sum of those and of the applicable weights. Only for weights and
    deductions whose sums are exact (the caller checks), so adding in another order than numpy
    gives the same numbers — without numpy's (conversations × items) temporaries."""
    n_conv, n_items = applicable.shape
    earned = np.zeros((n_conv, n_items))
    got = np.zeros(n_conv)
    total = np.zeros(n_conv)
    # exact sums: deductions first, then the weight, and only applicable items added up (the others
    # are 0) — one pass, no chain of additions of zeros
    for k in range(len(f_conv)):
        if applicable[f_conv[k], f_item[k]]:
            earned[f_conv[k], f_item[k]] -= deduction[k]
    for c in range(n_conv):
        for r in range(n_items):
            if applicable[c, r]:
                earned[c, r] += weight[r]
                total[c] += weight[r]
                got[c] += earned[c, r]
    return earned, got, total


@_reading
def byte_offsets(data: np.ndarray, starts: np.ndarray, turns: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """Byte offsets inside their turns of character offsets inside their turns (clamped to the turn)."""
    out = np.empty(len(chars), dtype=np.int64)
    for k in range(len(chars)):
        lo = starts[turns[k]]
        out[k] = _byte_at(data, lo, starts[turns[k] + 1], chars[k]) - lo
    return out


@_reading
def turns_of(conv_starts: np.ndarray, conversations: np.ndarray, turns: np.ndarray) -> np.ndarray:
    """Per turn, whether ``turns`` holds for it and its conversation is one of ``conversations``;
    only the chosen conversations' turns are visited."""
    out = np.zeros(len(turns), dtype=np.bool_)
    for c in range(len(conv_starts) - 1):
        if conversations[c]:
            for t in range(conv_starts[c], conv_starts[c + 1]):
                out[t] = turns[t]
    return out


def warm_up() -> None:
    """Call every kernel that only reads its arrays once on a made-up turn, with the argument types
    the engine passes, so that none is compiled (or loaded from the disk cache) later in the middle
    of real-time processing; :func:`scan` is warmed by running an automaton (``Processor.warm_up``)."""
    data = np.frombuffer("你好 ok".encode(), dtype=np.uint8)
    starts = np.array([0, len(data)], dtype=np.int64)
    one = np.zeros(1, dtype=np.int64)
    mask = np.ones(1, dtype=np.bool_)
    phrase = np.frombuffer(b"ok", dtype=np.uint8).astype(np.int64)
    first = np.array([0, len(phrase)], dtype=np.int64)
    glue = np.ones((1, 2), dtype=np.bool_)
    group(np.zeros((4, 1), dtype=np.int32), 1)
    char_offsets(data, starts, one, one)
    byte_offsets(data, starts, one, one)
    kept(data, starts, one, one, one + 1, phrase, first, glue, 2, phrase, first, glue)
    excerpts(data, starts, one, one, one + 1, 10, 40, np.frombuffer("…【】".encode(), dtype=np.uint8))
    conv_starts = np.array([0, 1], dtype=np.int64)
    window(conv_starts, mask, 1, True)
    any_turn(conv_starts, mask)
    turns_of(conv_starts, mask, mask)
    points(np.ones((1, 1), dtype=np.bool_), np.ones(1), one, one, np.zeros(1))
