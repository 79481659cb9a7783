"""Columnar batches of conversations: what detectors read, built once per chunk.

Every detector works on a whole :class:`Batch` at a time with numpy arrays, so inspecting a
million turns never creates a Python object per turn. Turns are sorted by conversation, then
``seq``; ``starts[c]:starts[c + 1]`` are the turns of conversation ``c``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from csqm.inspection.detectors.kernels import any_turn, char_offsets, turns_of
from csqm.inspection.model import SPEAKERS

_CONV_COLUMNS = ("interaction_id", "channel", "topic", "language", "hold_seconds")


def _strings(values: Any) -> pa.StringArray:
    """A non-chunked arrow ``string`` array (nulls kept)."""
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], pa.string())
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    return arr


def _offsets(arr: pa.StringArray) -> np.ndarray:
    """Byte offsets (int64, length n + 1) of each string into ``arr``'s data buffer."""
    raw = np.frombuffer(arr.buffers()[1], dtype=np.int32)  # type: ignore[union-attr]
    return raw[arr.offset : arr.offset + len(arr) + 1].astype(np.int64)


@dataclass(frozen=True, eq=False)
class Batch:
    """Conversations (length ``C``) and their turns (length ``T``) as arrays."""

    ids: np.ndarray  # object: interaction_id per conversation
    channel: np.ndarray  # object
    topic: np.ndarray  # object
    language: np.ndarray  # object
    hold_seconds: np.ndarray  # float64, NaN unknown
    starts: np.ndarray  # int64, C + 1
    conv: np.ndarray  # int64, T
    seq: np.ndarray  # int64, T
    speaker: np.ndarray  # int8, T (index into SPEAKERS, -1 unknown)
    offset: np.ndarray  # float64, T, seconds from the start (NaN unknown)
    text: pa.StringArray  # T, masked text, nulls as ""
    pii: pa.StringArray  # T, comma-separated kinds or null

    @property
    def n_conversations(self) -> int:
        return len(self.ids)

    @property
    def n_turns(self) -> int:
        return len(self.seq)

    # -- text access ----------------------------------------------------------------------------
    @functools.cached_property
    def joined(self) -> str:
        """The text of every turn back to back, ASCII lower-cased (slice it with :attr:`char_starts`)."""
        return self.lower_bytes.decode("utf-8", errors="replace")

    @functools.cached_property
    def lower(self) -> pa.StringArray:
        """The masked text of every turn, ASCII lower-cased (what phrases and regexes are searched in)."""
        return pc.ascii_lower(self.text)

    @functools.cached_property
    def lower_bytes(self) -> bytes:
        """The UTF-8 bytes of :attr:`lower`, every turn back to back (slice it with :attr:`byte_starts`)."""
        offsets = _offsets(self.lower)
        data = self.lower.buffers()[2]
        if data is None or not len(offsets) or offsets[-1] == offsets[0]:
            return b""
        return bytes(memoryview(data)[int(offsets[0]) : int(offsets[-1])])

    @functools.cached_property
    def byte_starts(self) -> np.ndarray:
        """Byte offset of each turn in :attr:`lower_bytes` (T + 1)."""
        offsets = _offsets(self.lower)
        return np.asarray(offsets - offsets[0], dtype=np.int64)

    @functools.cached_property
    def utf8(self) -> tuple[np.ndarray, np.ndarray]:
        """The UTF-8 bytes of the masked text (uint8, straight from the Arrow buffer, not copied) and
        the offset of each turn in them (int64, T + 1; turn ``t`` is ``data[starts[t]:starts[t + 1]]``)."""
        data = self.text.buffers()[2]
        array = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
        return array, _offsets(self.text)

    def char_offsets(self, turns: np.ndarray, byte_offsets: np.ndarray) -> np.ndarray:
        """Character offsets inside their turn of byte offsets inside their turn (at character boundaries)."""
        offsets = np.asarray(byte_offsets, dtype=np.int64)
        if not len(offsets):
            return offsets.copy()
        data, starts = self.utf8
        result: np.ndarray = char_offsets(data, starts, np.asarray(turns, dtype=np.int64), offsets)
        return result

    def bytes_of(self, turns: np.ndarray) -> tuple[bytes, np.ndarray]:
        """The bytes of :attr:`lower` of only the given turns, back to back, and where each starts (n + 1)."""
        part = self.lower.take(pa.array(np.asarray(turns, dtype=np.int64)))
        offsets = _offsets(part)
        data = part.buffers()[2]
        if data is None or offsets[-1] == offsets[0]:
            return b"", offsets - offsets[0]
        return bytes(memoryview(data)[int(offsets[0]) : int(offsets[-1])]), offsets - offsets[0]

    @functools.cached_property
    def _bytes_array(self) -> np.ndarray:
        return np.frombuffer(self.lower_bytes, dtype=np.uint8)

    @functools.cached_property
    def char_starts(self) -> np.ndarray:
        """Character offset of each turn in :attr:`joined` (T + 1)."""
        return np.concatenate(([0], np.cumsum(self.char_length))).astype(np.int64)

    def text_of(self, turn: int) -> str:
        """The masked text of one turn."""
        value = self.text[turn].as_py()
        return value if isinstance(value, str) else ""

    @functools.cached_property
    def char_length(self) -> np.ndarray:
        """Characters per turn."""
        return np.asarray(pc.utf8_length(self.text).to_numpy(zero_copy_only=False), dtype=np.int64)

    # -- turn positions -------------------------------------------------------------------------
    def ranks(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For turns where ``mask`` holds: their 0-based rank among such turns of their conversation,
        from the start and from the end (other turns get -1)."""
        counts = np.bincount(self.conv[mask], minlength=self.n_conversations)
        before = np.cumsum(mask) - mask  # masked turns before each turn, over the whole batch
        first = np.concatenate(([0], np.cumsum(counts)))[:-1]
        rank = np.where(mask, before - first[self.conv], -1)
        back = np.where(mask, counts[self.conv] - 1 - rank, -1)
        return rank, back

    def speaker_mask(self, speakers: Iterable[str]) -> np.ndarray:
        """Turns spoken by any of ``speakers`` (all turns when empty). Do not modify the result."""
        key = tuple(speakers)
        if key not in self._masks:
            self._masks[key] = self._speaker_mask(key)
        return self._masks[key]

    def spoke(self, speakers: Iterable[str]) -> np.ndarray:
        """Conversations in which any of ``speakers`` has a turn. Do not modify the result."""
        key = ("spoke", *speakers)
        if key not in self._masks:
            self._masks[key] = any_turn(self.starts, self.speaker_mask(key[1:]))
        return self._masks[key]

    def in_conversations(self, conversations: np.ndarray, turns: np.ndarray | None = None) -> np.ndarray:
        """Per turn, whether its conversation is one of ``conversations`` (a boolean mask) and, if
        given, the turn mask ``turns`` holds for it."""
        chosen = np.asarray(conversations, dtype=bool)
        if turns is None:
            return np.repeat(chosen, np.diff(self.starts))
        result: np.ndarray = turns_of(self.starts, chosen, np.asarray(turns, dtype=bool))
        return result

    @functools.cached_property
    def _masks(self) -> dict[tuple[str, ...], np.ndarray]:
        return {}

    def _speaker_mask(self, speakers: tuple[str, ...]) -> np.ndarray:
        codes = sorted({SPEAKERS.index(s) for s in speakers})
        if not codes:
            return np.ones(self.n_turns, dtype=bool)
        mask: np.ndarray = self.speaker == codes[0]  # comparisons: cheaper than a table indexed by every turn
        for code in codes[1:]:
            mask |= self.speaker == code
        return mask

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_frames(cls, interactions: pd.DataFrame | pa.Table, utterances: pd.DataFrame | pa.Table) -> Batch:
        """A batch from interaction rows and their utterance rows (any order; unknown ids dropped)."""
        inter = interactions.to_pandas() if isinstance(interactions, pa.Table) else interactions
        utt = utterances if isinstance(utterances, pa.Table) else pa.Table.from_pandas(utterances, preserve_index=False)
        ids = np.asarray(inter["interaction_id"], dtype=object)
        index = pd.Index(ids)
        conv = index.get_indexer(np.asarray(utt.column("interaction_id").to_pandas(), dtype=object))
        seq = _numbers(utt, "seq", 0).astype(np.int64)
        order = np.lexsort((seq, conv))
        order = order[conv[order] >= 0]
        conv, seq = conv[order].astype(np.int64), seq[order]
        take = pa.array(order)
        counts = np.bincount(conv, minlength=len(ids))
        return cls(
            ids=ids,
            channel=_column(inter, "channel"),
            topic=_column(inter, "topic"),
            language=_column(inter, "language"),
            hold_seconds=np.asarray(pd.to_numeric(_column(inter, "hold_seconds"), errors="coerce"), dtype=float),
            starts=np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
            conv=conv,
            seq=seq,
            speaker=_speakers(utt).take(order) if len(order) else np.zeros(0, np.int8),
            offset=_offsets_seconds(utt, conv, order),
            text=pc.fill_null(_strings(_col(utt, "text").take(take)), ""),
            pii=_strings(_col(utt, "pii_kinds").take(take)),
        )

    @classmethod
    def from_rows(cls, transcript: Iterable[Mapping[str, Any]], interaction: Mapping[str, Any]) -> Batch:
        """A batch of one conversation from plain rows (``utterances`` and ``interactions`` columns)."""
        rows = [dict(r) for r in transcript]
        iid = interaction["interaction_id"]
        for row in rows:
            row.setdefault("interaction_id", iid)
        inter = pd.DataFrame([{c: interaction.get(c) for c in _CONV_COLUMNS}])
        cols = ("interaction_id", "seq", "speaker", "spoken_at", "offset_seconds", "text", "pii_kinds")
        utt = pd.DataFrame({c: [r.get(c) for r in rows] for c in cols})
        return cls.from_frames(inter, utt)


def _col(table: pa.Table, name: str) -> pa.Array:
    if name not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    col = table.column(name)
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    return np.asarray(frame[name].astype(object).where(frame[name].notna(), None), dtype=object)


def _numbers(table: pa.Table, name: str, fill: float) -> np.ndarray:
    values = pd.to_numeric(pd.Series(_col(table, name).to_pandas()), errors="coerce")
    return np.asarray(values.fillna(fill), dtype=float)


def _speakers(table: pa.Table) -> np.ndarray:
    names = pd.Series(_col(table, "speaker").to_pandas(), dtype=object)
    codes = pd.Categorical(names, categories=list(SPEAKERS)).codes
    return np.asarray(codes, dtype=np.int8)


def _offsets_seconds(table: pa.Table, conv: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``offset_seconds``, or else seconds since the conversation's first ``spoken_at``."""
    offset = _numbers(table, "offset_seconds", np.nan)[order] if len(order) else np.zeros(0)
    if "spoken_at" not in table.column_names or not np.isnan(offset).any():
        return offset
    spoken = pd.to_datetime(pd.Series(_col(table, "spoken_at").to_pandas()), errors="coerce").iloc[order]
    secs = (spoken - spoken.groupby(conv).transform("min")).dt.total_seconds().to_numpy(dtype=float)
    return np.where(np.isnan(offset), secs, offset)
