"""Building conversations and one-rule packs for inspection tests."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from csqm.inspection.batch import Batch
from csqm.inspection.engine import Inspector
from csqm.inspection.loading import Packs, load_packs
from csqm.inspection.model import Finding

Turn = tuple[str, str] | tuple[str, str, float] | tuple[str, str, float, str]

CARD = {
    "id": "test_card",
    "name_zh": "测试",
    "name_en": "Test",
    "pass_score": 80,
    "items": [{"id": "item_a", "name_zh": "甲", "name_en": "A", "weight": 10}],
}


def rule(detector: str, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A rule dict with defaults for the required fields."""
    out = {
        "id": extra.pop("id", "t.rule"),
        "name_zh": "测试规则",
        "name_en": "Test rule",
        "category": extra.pop("category", "test"),
        "detector": detector,
        "params": params,
    }
    out.update(extra)
    return out


def write_pack(
    folder: Path, name: str, rules: Sequence[dict[str, Any]], cards: Sequence[dict[str, Any]] = (), **pack: Any
) -> Path:
    """Write a pack file and return its path."""
    header = {"id": name.replace("-", "_"), "name_zh": "包", "name_en": "Pack", **pack}
    path = folder / f"{name}.yaml"
    doc = {"version": 1, "pack": header, "rules": list(rules), "scorecards": list(cards)}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def packs_of(rules: Sequence[dict[str, Any]], cards: Sequence[dict[str, Any]] = (CARD,)) -> Packs:
    """Packs with only the given rules (no shipped ones)."""
    folder = Path(tempfile.mkdtemp(prefix="csqm-pack-"))
    write_pack(folder, "test", rules, cards)
    return load_packs([folder], builtin=False)


def conversation(turns: Sequence[Turn], iid: str = "c1", **attrs: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Utterance rows and an interaction row. A turn is (speaker, text[, offset[, pii_kinds]])."""
    rows = []
    for i, t in enumerate(turns, start=1):
        row: dict[str, Any] = {"interaction_id": iid, "seq": i, "speaker": t[0], "text": t[1]}
        row["offset_seconds"] = t[2] if len(t) > 2 else float(i * 10)
        row["pii_kinds"] = t[3] if len(t) > 3 else None
        rows.append(row)
    inter = {"interaction_id": iid, "channel": "phone", "language": "zh", "topic": None, "hold_seconds": 0.0}
    inter.update(attrs)
    return rows, inter


def batch_of(convs: Sequence[tuple[list[dict[str, Any]], dict[str, Any]]]) -> Batch:
    import pandas as pd

    inter = pd.DataFrame([c[1] for c in convs])
    utt = pd.DataFrame([r for c in convs for r in c[0]])
    if utt.empty:
        utt = pd.DataFrame(columns=["interaction_id", "seq", "speaker", "offset_seconds", "text", "pii_kinds"])
    return Batch.from_frames(inter, utt)


def find(
    rule_dict: dict[str, Any],
    turns: Sequence[Turn],
    sentiment: Any = None,
    **attrs: Any,
) -> list[Finding]:
    """Findings of one rule in one conversation."""
    inspector = Inspector(packs_of([rule_dict]), sentiment=sentiment)
    result = inspector.run(batch_of([conversation(turns, **attrs)]))
    return list(result.conversation(0).findings)


def spans(findings: Sequence[Finding]) -> list[tuple[int | None, int | None, int | None]]:
    return [(f.seq, f.start, f.end) for f in findings]


class FakeSentiment:
    """A real in-memory sentiment model: polarity from marker words, anger from 怒/angry."""

    def __init__(self) -> None:
        self.calls = 0

    def sentiment_scores(self, texts: Sequence[str | None], lang: str | None = None) -> np.ndarray:
        self.calls += 1
        out = []
        for t in texts:
            t = t or ""
            out.append(-0.9 if ("差" in t or "bad" in t) else 0.8 if ("好" in t or "good" in t) else 0.0)
        return np.array(out, dtype=float)

    def emotions(self, texts: Sequence[str | None], lang: str | None = None) -> list[tuple[str, ...]]:
        return [("anger",) if t and ("怒" in t or "angry" in t) else () for t in texts]
