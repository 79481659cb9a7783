"""Dialogue structure: the stages of a conversation, their speakers and phrase banks, and per-channel
skeletons (which stages, in which order, for a conversation of a given length)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from csqm.generate.banks import reference, texts
from csqm.generate.textkit import Templates

SPEAKERS = ("customer", "agent", "bot", "system")
TOPIC_CORES = ("problem", "detail", "clarify", "explain", "solution", "followup")

# name: (speaker, core bank, prefix bank, suffix bank). Cores in TOPIC_CORES depend on the topic.
_STAGES: dict[str, tuple[str, str, str, str]] = {
    "ivr": ("system", "ivr", "none", "none"),
    "greet_phone": ("agent", "greet_phone", "none", "none"),
    "greet_chat": ("agent", "greet_chat", "none", "none"),
    "greet_store": ("agent", "greet_store", "none", "none"),
    "problem": ("customer", "problem", "customer", "customer"),
    "idreq": ("agent", "idreq", "none", "none"),
    "idans": ("customer", "idans", "customer", "none"),
    "idans_phone": ("customer", "idans_phone", "customer", "none"),
    "idans_id": ("customer", "idans_id", "customer", "none"),
    "idans_email": ("customer", "idans_email", "customer", "none"),
    "idans_card": ("customer", "idans_card", "customer", "none"),
    "leak": ("agent", "leak", "none", "none"),
    "clarify": ("agent", "clarify", "agent", "none"),
    "detail": ("customer", "detail", "customer", "customer"),
    "hold": ("agent", "hold", "none", "none"),
    "back": ("agent", "back", "none", "none"),
    "explain": ("agent", "explain", "agent", "agent"),
    "react": ("customer", "react", "none", "none"),
    "solution": ("agent", "solution", "agent", "agent"),
    "followup": ("customer", "followup", "customer", "none"),
    "answer": ("agent", "explain", "agent", "agent"),
    "check": ("agent", "check", "none", "none"),
    "nomore": ("customer", "nomore", "none", "none"),
    "thanks": ("customer", "thanks", "none", "none"),
    "big_thanks": ("customer", "big_thanks", "none", "none"),
    "close_phone": ("agent", "close_phone", "none", "none"),
    "close_chat": ("agent", "close_chat", "none", "chat_agent"),
    "close_store": ("agent", "close_store", "none", "none"),
    "forbidden": ("agent", "forbidden", "none", "none"),
    "negative": ("agent", "negative", "none", "none"),
    "history": ("agent", "history", "agent", "none"),
    "angry": ("customer", "angry", "none", "none"),
    "transfer": ("system", "transfer", "none", "none"),
    "escalate": ("system", "escalate", "none", "none"),
    "bot_greet": ("bot", "bot_greet", "none", "none"),
    "bot_answer": ("bot", "explain", "bot", "none"),
    "bot_fallback": ("bot", "bot_fallback", "none", "none"),
    "bot_close": ("bot", "bot_close", "none", "none"),
    "ask_human": ("customer", "ask_human", "none", "none"),
    "rephrase": ("customer", "rephrase", "none", "none"),
    "ss_menu": ("system", "ss_menu", "none", "none"),
    "ss_input": ("customer", "ss_input", "none", "none"),
    "ss_result": ("system", "explain", "none", "none"),
    "ss_end": ("system", "ss_end", "none", "none"),
    "email_problem": ("customer", "problem", "email.customer_open", "email.customer_close"),
    "email_detail": ("customer", "detail", "email.customer_open", "email.customer_close"),
    "email_followup": ("customer", "followup", "email.customer_open", "email.customer_close"),
    "email_explain": ("agent", "explain", "email.agent_open", "email.agent_close"),
    "email_solution": ("agent", "solution", "email.agent_open", "email.agent_close"),
    "email_thanks": ("customer", "thanks", "none", "none"),
}
STAGES = tuple(_STAGES)
STAGE = {name: i for i, name in enumerate(STAGES)}
STAGE_SPEAKER = np.array([SPEAKERS.index(v[0]) for v in _STAGES.values()], dtype=np.int8)

# Skeletons: (stages with drop priority, middle stages repeated to lengthen, insert-before stage,
# min length, max length). Stages with priority > p are dropped until the skeleton fits.
_SKELETONS: dict[str, tuple[str, str, str, int, int]] = {
    "phone": (
        "ivr:2 greet_phone:0 problem:0 idreq:3 idans:3 clarify:1 detail:1 explain:4 react:5 solution:0 "
        "check:6 thanks:0 close_phone:0",
        "clarify detail hold back explain react followup answer",
        "solution",
        6,
        30,
    ),
    "chat": (
        "problem:0 greet_chat:0 idreq:4 idans:4 clarify:1 detail:1 explain:2 react:5 solution:0 check:6 "
        "thanks:3 close_chat:0",
        "clarify detail explain react followup answer",
        "solution",
        4,
        20,
    ),
    "email": (
        "email_problem:0 email_solution:0 email_followup:1 email_explain:1 email_thanks:2",
        "email_detail email_explain",
        "email_followup",
        2,
        6,
    ),
    "store": (
        "greet_store:0 problem:0 idreq:3 idans:3 clarify:1 detail:1 explain:2 solution:0 check:4 "
        "thanks:0 close_store:1",
        "clarify detail explain react",
        "solution",
        4,
        16,
    ),
    "bot": (
        "bot_greet:0 problem:0 bot_answer:0 react:2 bot_close:1 thanks:3",
        "followup bot_answer rephrase bot_fallback",
        "bot_close",
        3,
        10,
    ),
    "bot_escalated": (
        "bot_greet:0 problem:0 bot_fallback:0 ask_human:0 escalate:0 greet_chat:0 clarify:1 detail:1 "
        "explain:2 solution:0 thanks:1 close_chat:0",
        "clarify detail explain react followup answer",
        "solution",
        9,
        20,
    ),
    "self_service": ("ss_menu:0 ss_input:0 ss_result:1 ss_end:0", "ss_menu ss_input", "ss_result", 3, 6),
}
SKELETONS = tuple(_SKELETONS)
SKELETON_MIN = np.array([v[3] for v in _SKELETONS.values()], dtype=np.int64)
SKELETON_MAX = np.array([v[4] for v in _SKELETONS.values()], dtype=np.int64)
MAX_TURNS = int(SKELETON_MAX.max())


def skeleton(kind: str, length: int) -> list[str]:
    """The stage names of a ``kind`` conversation with ``length`` turns."""
    base_spec, middle_spec, before, _, _ = _SKELETONS[kind]
    base = [(s.split(":")[0], int(s.split(":")[1])) for s in base_spec.split()]
    for limit in range(max(p for _, p in base), -1, -1):
        kept = [s for s, p in base if p <= limit]
        if len(kept) <= length:
            break
    middle = middle_spec.split()
    extra = [middle[i % len(middle)] for i in range(length - len(kept))]
    at = kept.index(before) if before in kept else len(kept) - 1
    return kept[:at] + extra + kept[at:]


@cache
def skeleton_table() -> np.ndarray:
    """``table[kind, length, turn]`` = stage code (-1 beyond the end)."""
    table = np.full((len(SKELETONS), MAX_TURNS + 1, MAX_TURNS), -1, dtype=np.int16)
    for k, kind in enumerate(SKELETONS):
        for length in range(int(SKELETON_MIN[k]), int(SKELETON_MAX[k]) + 1):
            table[k, length, :length] = [STAGE[s] for s in skeleton(kind, length)]
    return table


@dataclass(frozen=True)
class Phrasebook:
    """All templates of a language, with offset/count tables per stage (and topic for cores)."""

    templates: Templates
    core_offset: np.ndarray  # (n_stages, n_topics)
    core_count: np.ndarray
    prefix_offset: np.ndarray  # (n_stages,)
    prefix_count: np.ndarray
    suffix_offset: np.ndarray
    suffix_count: np.ndarray

    def pick(self, offset: np.ndarray, count: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.asarray(offset + (rng.random(len(offset)) * count).astype(np.int64))


@cache
def phrasebook(lang: str) -> Phrasebook:
    """Compile the phrase bank of ``lang`` into one template table."""
    bank = texts(lang)
    topics = reference(lang).topic_codes
    flat: list[str] = []
    groups: dict[str, tuple[int, int]] = {}

    def group(key: str, items: list[str]) -> tuple[int, int]:
        if key not in groups:
            groups[key] = (len(flat), len(items))
            flat.extend(str(x) for x in items)
        return groups[key]

    n_st, n_top = len(STAGES), len(topics)
    core = np.zeros((2, n_st, n_top), dtype=np.int64)
    pre, suf = np.zeros((2, n_st), dtype=np.int64), np.zeros((2, n_st), dtype=np.int64)
    for s, (_, core_key, pre_key, suf_key) in enumerate(_STAGES.values()):
        for t, topic in enumerate(topics):
            items = bank["topics"][topic][core_key] if core_key in TOPIC_CORES else bank["stages"][core_key]
            key = f"{topic}.{core_key}" if core_key in TOPIC_CORES else core_key
            core[:, s, t] = group(key, items)
        pre[:, s] = group("pre." + pre_key, _bank(bank, "prefix", pre_key))
        suf[:, s] = group("suf." + suf_key, _bank(bank, "suffix", suf_key))
    return Phrasebook(Templates.compile(flat), core[0], core[1], pre[0], pre[1], suf[0], suf[1])


def _bank(bank: dict[str, object], section: str, key: str) -> list[str]:
    group, name = ("email", key.split(".", 1)[1]) if key.startswith("email.") else (section, key)
    items = bank[group][name]  # type: ignore[index]
    return [str(x) for x in items]
