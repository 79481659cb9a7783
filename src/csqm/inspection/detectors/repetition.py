"""Repetition: the customer has to ask the same thing again and again."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from csqm.inspection.detectors.base import DetectContext, Detected, Detector, Scope

#: Punctuation, spaces and symbols; and fillers at the start that do not change the question.
_NOISE = r"[\s\p{P}\p{S}]+"
_FILLERS = r"^(?:嗯|哦|呃|诶|啊|那个|就是|请问|麻烦问一下|你好|您好|喂|hi|hello|um|uh|so|ok|okay)+"


class RepetitionParams(BaseModel):
    """``times`` turns of at least ``min_chars`` characters whose normalised texts are the same, or
    — with ``similarity`` below 1 — share that fraction of character pairs (Jaccard on bigrams)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    times: int = Field(3, ge=2, le=50)
    min_chars: int = Field(4, ge=1)
    similarity: float = Field(1.0, gt=0, le=1)


class RepetitionDetector(Detector):
    """The rule's speaker (the customer) says the same thing ``times`` times in one conversation,
    after removing punctuation, case and opening fillers (嗯、那个、请问…). The finding sits on the
    turn that reached the count."""

    name = "repetition"
    Params = RepetitionParams
    default_speakers = ("customer",)

    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        assert isinstance(self.params, RepetitionParams)
        b, p = ctx.batch, self.params
        turns = np.flatnonzero(scope.turns)
        if not len(turns):
            return Detected.none()
        norm = pc.replace_substring_regex(pc.utf8_lower(b.text.take(pa.array(turns))), _NOISE, "")
        norm = pc.replace_substring_regex(norm, _FILLERS, "")
        long_enough = pc.utf8_length(norm).to_numpy(zero_copy_only=False) >= p.min_chars
        turns = turns[long_enough]
        texts = norm.filter(pa.array(long_enough))
        if p.similarity >= 1.0:
            group = pd.factorize(pd.Series(texts.to_pandas()))[0]
        else:
            group = _similar_groups(b.conv[turns], texts.to_pylist(), p.similarity)
        reached = _nth_of_group(b.conv[turns], group, p.times)
        found = turns[reached]
        evidence = [f"第{p.times}次重复 / said {p.times} times: {b.text_of(t)[:40]}" for t in found.tolist()]
        return Detected.at_turns(b, found, evidence)


def _nth_of_group(conv: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """Mask of the rows that are the ``n``-th of their (conversation, group)."""
    frame = pd.DataFrame({"c": conv, "g": group})
    return np.asarray(frame.groupby(["c", "g"]).cumcount().to_numpy() == n - 1)


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


def _similar_groups(conv: np.ndarray, texts: list[str], threshold: float) -> np.ndarray:
    """Greedy clustering within each conversation: a text joins the first earlier group it matches."""
    group = np.zeros(len(texts), dtype=np.int64)
    reps: list[tuple[int, set[str], int]] = []  # (conversation, bigrams, group id)
    next_id = 0
    for i, text in enumerate(texts):
        grams = _bigrams(text)
        c = int(conv[i])
        reps = [r for r in reps if r[0] == c]
        for _, other, gid in reps:
            if len(grams & other) / len(grams | other) >= threshold:
                group[i] = gid
                break
        else:
            group[i] = next_id
            reps.append((c, grams, next_id))
            next_id += 1
    return group
