"""Vectorised text building on Arrow string arrays: joins, number formatting and slot templates.

A template such as ``我{date}买的{product}到现在还没收到`` is compiled once into literal pieces and
slot codes. Rendering millions of turns is then a handful of Arrow ``take`` calls and one
element-wise join per batch, with no Python loop over rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Piece: TypeAlias = "pa.Array | pa.ChunkedArray | str"

#: Slot names usable in templates; code 0 is "no slot" (renders as the empty string).
SLOTS = (
    "",
    "product",
    "order",
    "date",
    "amount",
    "city",
    "phone",
    "idno",
    "email",
    "card",
    "last4",
    "agent_no",
    "hdate",
    "days",
    "courier",
    "tracking",
    "title",
    "level",
    "points",
    "time",
)
SLOT_CODE = {name: code for code, name in enumerate(SLOTS)}
MAX_SLOTS = 3
_SLOT = re.compile(r"\{(\w+)\}")


def strings(values: Sequence[str] | np.ndarray) -> pa.Array:
    """An Arrow string array from Python strings."""
    return pa.array(list(values) if not isinstance(values, list) else values, type=pa.string())


def join(*parts: Piece) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars (at least one array)."""
    arrays: list[Any] = [p if isinstance(p, str) else _flat(p) for p in parts]
    return _flat(pc.binary_join_element_wise(*arrays, ""))


def num(values: np.ndarray, width: int = 0) -> pa.Array:
    """Integers as decimal strings, zero-padded to ``width``."""
    text = pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())
    return _flat(pc.utf8_lpad(text, width=width, padding="0")) if width else text


def take(values: pa.Array, index: np.ndarray) -> pa.Array:
    """``values[index]`` for a NumPy index array."""
    return _flat(values.take(pa.array(np.asarray(index, dtype=np.int64))))


def choose(mask: np.ndarray, when_true: Piece, when_false: Piece) -> pa.Array:
    """Element-wise ``when_true if mask else when_false``."""
    return _flat(pc.if_else(pa.array(np.asarray(mask, dtype=bool)), when_true, when_false))


def _flat(arr: Any) -> pa.Array:
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


@dataclass(frozen=True)
class Templates:
    """A flat list of compiled templates: ``MAX_SLOTS + 1`` literal columns and slot codes."""

    literals: tuple[pa.Array, ...]
    slots: np.ndarray  # (n_templates, MAX_SLOTS) int64 slot codes
    texts: tuple[str, ...]
    lowered: pa.Array  # first literal with a lower-case first letter (after an English prefix)
    empty: np.ndarray  # templates that render as the empty string

    @classmethod
    def compile(cls, texts: Sequence[str]) -> Templates:
        lits: list[list[str]] = [[] for _ in range(MAX_SLOTS + 1)]
        slots = np.zeros((len(texts), MAX_SLOTS), dtype=np.int64)
        for row, text in enumerate(texts):
            parts = _SLOT.split(text)
            names, pieces = parts[1::2], parts[0::2]
            if len(names) > MAX_SLOTS:
                raise ValueError(f"template has more than {MAX_SLOTS} slots: {text!r}")
            for i in range(MAX_SLOTS + 1):
                lits[i].append(pieces[i] if i < len(pieces) else "")
            for i, name in enumerate(names):
                if name not in SLOT_CODE:
                    raise ValueError(f"unknown slot {{{name}}} in template {text!r}")
                slots[row, i] = SLOT_CODE[name]
        lowered = strings([_lower_first(s) for s in lits[0]])
        empty = np.array([t == "" for t in texts], dtype=bool)
        return cls(tuple(strings(col) for col in lits), slots, tuple(texts), lowered, empty)

    def render(
        self, template: np.ndarray, row: np.ndarray, values: pa.Array, n_rows: int, lower: np.ndarray | None = None
    ) -> list[pa.Array]:
        """Pieces of the rendered templates; ``values`` is the flat slot table (slot * n_rows + row).
        Where ``lower`` is set the first letter is lower-cased (the template follows a prefix)."""
        idx = pa.array(template.astype(np.int64))
        first = _flat(self.literals[0].take(idx))
        if lower is not None and lower.any():
            first = choose(lower, _flat(self.lowered.take(idx)), first)
        pieces = [first]
        for i in range(MAX_SLOTS):
            codes = self.slots[template, i]
            if codes.any():
                pieces.append(_flat(values.take(pa.array(codes * n_rows + row))))
            pieces.append(_flat(self.literals[i + 1].take(idx)))
        return pieces


def _lower_first(text: str) -> str:
    """``Could you …`` -> ``could you …``; keeps ``I``, ``I've``, acronyms and non-Latin text."""
    if len(text) < 2 or not text[0].isascii() or not text[0].isupper() or text[1].isupper():
        return text
    if text[0] == "I" and not text[1].isalpha():
        return text
    return text[0].lower() + text[1:]


def slot_table(columns: dict[str, pa.Array], n_rows: int) -> pa.Array:
    """Concatenate per-row slot values in :data:`SLOTS` order (missing slots are empty)."""
    empty = pa.array([""] * n_rows, type=pa.string())
    parts = [columns.get(name, empty) if name else empty for name in SLOTS]
    for name, arr in zip(SLOTS, parts, strict=True):
        if len(arr) != n_rows:
            raise ValueError(f"slot {name!r} has {len(arr)} values, expected {n_rows}")
    return pa.concat_arrays(parts)
