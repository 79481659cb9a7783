"""A character-level Aho-Corasick automaton as flat numpy arrays, searched by compiled code.

Why characters and not bytes: almost all of the text is Chinese (three UTF-8 bytes a character),
so stepping once per character is a third of the steps, and a character that occurs in no phrase
(most of them) sends the search straight back to the root without touching the transition table.
The table is dense over *character classes* (one class per distinct character of the phrases,
class 0 for every other character), so it stays small enough for the caches.

Matching semantics are those of the rest of the engine: the text is ASCII lower-cased as it is read,
phrases are given already lower-cased, every occurrence of every phrase is reported (overlapping
ones included) with UTF-8 byte offsets inside its turn, never across two turns, and Latin phrases
only as whole words (not glued to an ASCII letter or digit on either side).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from csqm.inspection.detectors import kernels

_BMP = 0x10000


@dataclass(frozen=True, eq=False)
class Automaton:
    """The compiled form of a list of phrases (``phrases[i]`` is pattern id ``i``)."""

    phrases: tuple[str, ...]
    classes: np.ndarray  # code point → character class (0: in no phrase); the last entry is 0
    n_classes: int
    table: np.ndarray  # int32 [states × classes], premultiplied target; -target-1 if it ends a phrase
    out_start: np.ndarray  # int64 [states + 1]: phrases ending at each state (CSR into out_ids)
    out_ids: np.ndarray  # int32
    length: np.ndarray  # int64: UTF-8 bytes of each phrase
    left: np.ndarray  # bool: starts with an ASCII letter/digit (must not be glued on the left)
    right: np.ndarray  # bool: ends with one

    @classmethod
    def build(cls, phrases: Sequence[str]) -> Automaton:
        """Compile ``phrases`` (non-empty, distinct, already lower-cased)."""
        chars = sorted({ch for p in phrases for ch in p})
        size = _BMP if all(ord(ch) < _BMP for ch in chars) else 0x110000
        # one entry more than code points used, always 0: the kernel clamps larger code points onto it
        dtype = np.uint8 if len(chars) < 0xFF else np.uint16 if len(chars) < 0xFFFF else np.int32
        classes = np.zeros(size + 1, dtype=dtype)
        classes[[ord(ch) for ch in chars]] = np.arange(1, len(chars) + 1)
        n_classes = len(chars) + 1
        goto, ends = _trie([[int(classes[ord(ch)]) for ch in p] for p in phrases])
        dense, outputs = _close(goto, ends, n_classes)
        has_out = np.array([bool(o) for o in outputs], dtype=bool)
        target = dense.astype(np.int64)
        flat = np.where(has_out[target], -target * n_classes - 1, target * n_classes)
        flat[:, 0] = 0  # a character in no phrase: back to the root (which ends no phrase)
        if flat.size and np.abs(flat).max() >= 2**31:
            raise ValueError("too many phrases for one automaton")
        out_start = np.concatenate(([0], np.cumsum([len(o) for o in outputs]))).astype(np.int64)
        return cls(
            phrases=tuple(phrases),
            classes=classes,
            n_classes=n_classes,
            table=np.ascontiguousarray(flat.reshape(-1), dtype=np.int32),
            out_start=out_start,
            out_ids=np.array([i for o in outputs for i in o], dtype=np.int32),
            length=np.array([len(p.encode("utf-8")) for p in phrases], dtype=np.int64),
            left=np.array([p[0].isascii() and p[0].isalnum() for p in phrases], dtype=bool),
            right=np.array([p[-1].isascii() and p[-1].isalnum() for p in phrases], dtype=bool),
        )

    def search(self, data: np.ndarray, starts: np.ndarray, turns: np.ndarray) -> tuple[np.ndarray, ...]:
        """Every occurrence in the given turns of ``data`` (UTF-8 bytes; turn ``t`` is
        ``data[starts[t]:starts[t + 1]]``), grouped by phrase: ``(first, turn, start, end)`` where
        the hits of phrase ``p`` are rows ``first[p]:first[p + 1]``, in turn then start order."""
        capacity = max(1024, int(starts[-1] - starts[0]) // 8 if len(starts) else 0)
        while True:
            out = np.empty((4, capacity), dtype=np.int32)
            n = kernels.scan(
                data, starts, turns, self.classes, self.table, self.n_classes, self.out_start, self.out_ids,
                self.length, self.left, self.right, kernels.WORD, out,
            )  # fmt: skip
            if n <= capacity:
                break
            capacity = n  # more hits than room (many overlapping phrases): once more, with room for all
        grouped: tuple[np.ndarray, ...] = kernels.group(out[:, :n], len(self.phrases))
        return grouped


def _trie(paths: list[list[int]]) -> tuple[list[dict[int, int]], list[list[int]]]:
    goto: list[dict[int, int]] = [{}]
    ends: list[list[int]] = [[]]
    for i, path in enumerate(paths):
        state = 0
        for k in path:
            if k not in goto[state]:
                goto.append({})
                ends.append([])
                goto[state][k] = len(goto) - 1
            state = goto[state][k]
        ends[state].append(i)
    return goto, ends


def _close(goto: list[dict[int, int]], ends: list[list[int]], n_classes: int) -> tuple[np.ndarray, list[list[int]]]:
    """The dense transition table (failure links resolved, breadth first) and, per state, every
    phrase ending there (its own and those of its failure chain)."""
    dense = np.zeros((len(goto), n_classes), dtype=np.int64)
    fail = [0] * len(goto)
    outputs = [list(e) for e in ends]
    queue: deque[int] = deque()
    for k, child in goto[0].items():
        dense[0, k] = child
        queue.append(child)
    while queue:
        state = queue.popleft()
        if state:
            dense[state] = dense[fail[state]]
            outputs[state] = outputs[state] + outputs[fail[state]]
        for k, child in goto[state].items():
            if state:
                fail[child] = int(dense[fail[state], k])
            dense[state, k] = child
            queue.append(child)
    return dense, outputs
