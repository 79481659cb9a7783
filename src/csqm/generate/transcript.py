"""Transcripts: turn each contact of a chunk into utterances, fully vectorised.

1. A skeleton gives the stage of every turn from the channel and the number of turns.
2. Flags replace one eligible turn by a special stage (forbidden phrase, negative phrase, history
   reference, personal data read out, agent leaking an ID number, big thanks, anger, transfer).
3. Each turn draws a prefix, a core template (per stage and topic) and a suffix; slots are filled from
   the chunk's slot table.
4. Offsets spread the turns over the contact, in proportion to their length.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from csqm.generate import plan as P
from csqm.generate import stages as S
from csqm.generate.chunk import Chunk
from csqm.generate.textkit import join

_KIND = {P.PHONE: "phone", P.CHAT: "chat", P.SOCIAL: "chat", P.EMAIL: "email", P.STORE: "store"}
_KIND.update({P.BOT: "bot", P.SELF_SERVICE: "self_service"})
_AGENT_CORE = ("clarify", "explain", "solution", "answer")
_OPENS = np.array([S.SKELETONS.index(k) for k in ("chat", "email")])  # the customer writes first


def lengths(chunk: Chunk, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(skeleton kind, number of turns) per contact; 0 turns for abandoned contacts."""
    ch, talk = chunk.draw.channel, chunk.timing.talk
    kind_name = np.array([S.SKELETONS.index(_KIND[c]) for c in range(len(P.CHANNELS))])
    kind = kind_name[ch]
    kind = np.where(chunk.handling.escalated & (ch == P.BOT), S.SKELETONS.index("bot_escalated"), kind)
    per_turn = np.array([38.0, 70.0, 7200.0, 70.0, 90.0, 30.0, 45.0])[ch]
    per_turn = np.where(kind == S.SKELETONS.index("bot_escalated"), 90.0, per_turn)
    jitter = rng.uniform(0.75, 1.3, len(ch))
    raw = S.SKELETON_MIN[kind] + talk / per_turn * jitter
    raw = np.where(ch == P.EMAIL, 2 + rng.integers(0, 5, len(ch)), raw)
    raw = np.where(ch == P.SOCIAL, np.minimum(raw, 12), raw)
    length = np.clip(raw.astype(np.int64), S.SKELETON_MIN[kind], S.SKELETON_MAX[kind])
    return kind, np.where(chunk.handling.abandoned, 0, length)


def _pick_one(inter: np.ndarray, eligible: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random eligible turn per contact (indices into the turns)."""
    cand = np.flatnonzero(eligible)
    if not cand.size:
        return cand
    cand = cand[np.lexsort((rng.random(cand.size), inter[cand]))]
    group = inter[cand]
    first = np.ones(cand.size, dtype=bool)
    first[1:] = group[1:] != group[:-1]
    return cand[first]


def _replace(
    stage: np.ndarray,
    inter: np.ndarray,
    flag: np.ndarray,
    sources: tuple[str, ...],
    target: str,
    rng: np.random.Generator,
) -> None:
    eligible = flag[inter] & np.isin(stage, [S.STAGE[s] for s in sources])
    stage[_pick_one(inter, eligible, rng)] = S.STAGE[target]


def stages(
    chunk: Chunk, kind: np.ndarray, length: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(contact row, stage code) of every turn, with the flags applied."""
    inter = np.repeat(np.arange(chunk.n), length)
    starts = np.cumsum(length) - length
    turn = np.arange(len(inter)) - starts[inter]
    stage = S.skeleton_table()[kind[inter], length[inter], turn].astype(np.int64)
    f = chunk.flags
    _replace(stage, inter, f.forbidden, _AGENT_CORE, "forbidden", rng)
    _replace(stage, inter, f.forbidden & (rng.random(chunk.n) < 0.35), _AGENT_CORE, "forbidden", rng)
    _replace(stage, inter, f.negative, _AGENT_CORE, "negative", rng)
    _replace(stage, inter, f.history, ("clarify", "explain"), "history", rng)
    for code, target in enumerate(("idans_phone", "idans_id", "idans_email", "idans_card"), start=1):
        _replace(stage, inter, f.pii == code, ("idans", "detail"), target, rng)
    _replace(stage, inter, f.leak, ("idreq", "clarify"), "leak", rng)
    _replace(stage, inter, f.big_thanks, ("thanks", "email_thanks"), "big_thanks", rng)
    _replace(stage, inter, f.angry, ("react", "followup", "detail"), "angry", rng)
    _replace(stage, inter, chunk.handling.transfers > 0, ("hold", "back", "clarify"), "transfer", rng)
    return inter, stage


def texts(
    chunk: Chunk, inter: np.ndarray, stage: np.ndarray, slots: pa.Array, lang: str, rng: np.random.Generator
) -> pa.Array:
    """Render prefix + core + suffix of every turn."""
    book = S.phrasebook(lang)
    topic = chunk.draw.topic[inter]
    core = book.pick(book.core_offset[stage, topic], book.core_count[stage, topic], rng)
    pre = book.pick(book.prefix_offset[stage], book.prefix_count[stage], rng)
    suf = book.pick(book.suffix_offset[stage], book.suffix_count[stage], rng)
    after_prefix = ~book.templates.empty[pre] if lang == "en" else None
    pieces = book.templates.render(pre, inter, slots, chunk.n)
    pieces += book.templates.render(core, inter, slots, chunk.n, lower=after_prefix)
    pieces += book.templates.render(suf, inter, slots, chunk.n)
    return join(*pieces)


def offsets(
    chunk: Chunk, kind: np.ndarray, inter: np.ndarray, stage: np.ndarray, text: pa.Array, rng: np.random.Generator
) -> np.ndarray:
    """Seconds from ``offered_at`` of each turn, spread over answered -> ended by text length."""
    n_turns = len(inter)
    starts = np.searchsorted(inter, np.arange(chunk.n))
    turn = np.arange(n_turns) - starts[inter]
    opener = (turn == 0) & ((stage == S.STAGE["ivr"]) | np.isin(kind[inter], _OPENS))
    size = pc.utf8_length(text).to_numpy(zero_copy_only=False).astype(float) + 8.0
    weight = np.where(opener, 0.0, size * rng.uniform(0.6, 1.6, n_turns))
    cum = np.cumsum(weight) - weight
    base = np.zeros(chunk.n)
    has = np.diff(np.append(starts, n_turns)) > 0
    base[has] = cum[starts[has]]
    total = np.bincount(inter, weights=weight, minlength=chunk.n)
    before = cum - base[inter]
    wait, span = chunk.timing.wait[inter], chunk.timing.span[inter]
    frac = np.where(total[inter] > 0, before / np.maximum(total[inter], 1e-9), 0.0)
    return np.where(opener, 0.0, np.round(wait + span * frac, 1))
