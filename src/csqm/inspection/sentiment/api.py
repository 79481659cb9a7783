"""Polarity and emotions of many turns at once, in Chinese, English or both mixed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from csqm.inspection.sentiment.lexicon import builtin_lexicon
from csqm.inspection.sentiment.models import detect_language
from csqm.inspection.sentiment.registry import load_model


def resolve_language(lang: str | None) -> str | None:
    """``"zh"``/``"en"`` for codes such as ``zh``, ``zh-CN``, ``en_US``; ``None`` (detect per text)
    for ``None``, ``""``, ``"auto"`` and languages without a model of their own."""
    if not lang:
        return None
    code = lang.strip().lower().replace("_", "-").split("-")[0]
    if code in ("zh", "cmn", "yue", "chi", "zho"):
        return "zh"
    if code in ("en", "eng"):
        return "en"
    return None


def _groups(texts: Sequence[str | None], lang: str | None) -> dict[str, list[int]]:
    """Indices of the non-empty texts per language (``zh``/``en``)."""
    fixed = resolve_language(lang)
    groups: dict[str, list[int]] = {"zh": [], "en": []}
    for i, t in enumerate(texts):
        if t and t.strip():
            groups[fixed or detect_language(t)].append(i)
    return groups


def sentiment_scores(texts: Sequence[str | None], lang: str | None = None) -> np.ndarray:
    """Polarity in [-1, 1] (``2 * P(positive) - 1``) of every text; ``None`` and ``""`` give 0.0.

    ``lang``: ``"zh"``, ``"en"`` (or a regional code such as ``"zh-CN"``), or ``None`` to choose
    per text: Chinese when it holds a CJK ideograph, English otherwise.
    """
    out = np.zeros(len(texts), dtype=np.float64)
    for code, idx in _groups(texts, lang).items():
        if idx:
            p = load_model(code).predict_proba([texts[i] or "" for i in idx])
            out[idx] = 2.0 * np.asarray(p, dtype=np.float64) - 1.0
    return np.clip(out, -1.0, 1.0)


def emotions(texts: Sequence[str | None], lang: str | None = None) -> list[tuple[str, ...]]:
    """The sorted emotion labels of every text (``()`` for none, ``None`` and ``""``).

    Labels: ``anger`` 愤怒, ``anxiety`` 焦虑 (urgency), ``confusion`` 困惑, ``disappointment`` 失望,
    ``gratitude`` 感谢, ``satisfaction`` 满意; ``lang`` as for :func:`sentiment_scores`.
    """
    out: list[tuple[str, ...]] = [() for _ in texts]
    lexicon = builtin_lexicon()
    for code, idx in _groups(texts, lang).items():
        if idx:
            labels, _ = lexicon.analyse([texts[i] for i in idx], code)
            for i, found in zip(idx, labels, strict=True):
                out[i] = found
    return out


def emotion_labels() -> dict[str, str]:
    """Every emotion label with its Chinese name, e.g. ``{"anger": "愤怒", …}``."""
    lexicon = builtin_lexicon()
    return {label: lexicon.names_zh[label] for label in lexicon.labels}
