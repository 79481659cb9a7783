"""The lexicon file and the cue matcher."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from csqm.inspection.sentiment.cues import CueMatcher, Negation, _trie_pattern
from csqm.inspection.sentiment.lexicon import Lexicon, builtin_lexicon

NEG_ZH = Negation(negators=("不", "没"), pseudo=("不错",), window=3, rhetorical=("不是",))


def _spec(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "negation": {"zh": {"negators": ["不"]}, "en": {"negators": ["not"]}},
        "emotions": {
            "anger": {"name_zh": "愤怒", "valence": -2, "zh": ["投诉"], "en": ["scam"]},
            "joy": {"name_zh": "高兴", "valence": 1, "negated": "anger", "zh": ["开心"], "en": ["happy"]},
        },
        "polarity": {"zh": {"好的": 0.5}},
    }
    spec.update(changes)
    return spec


def test_builtin_lexicon_loads() -> None:
    lexicon = builtin_lexicon()
    assert lexicon.labels == ("anger", "anxiety", "confusion", "disappointment", "gratitude", "satisfaction")
    assert all(-5 <= v <= 5 for v in lexicon.valence.values())


def test_trie_pattern_prefers_the_longest_cue() -> None:
    words = ["满意", "不满意", "不满", "a", "ab", "abc"]
    pattern = re.compile(_trie_pattern(words))
    assert pattern.findall("我不满意，很满意, abcab") == ["不满意", "满意", "abc", "ab"]
    assert all(pattern.fullmatch(w) for w in words)


def test_negation_rules() -> None:
    m = CueMatcher(["骗", "满意", "不满意"], NEG_ZH, "zh")
    texts = ["不是骗你", "这不是骗人吗", "不错，很满意", "很不满意", "我没太满意", "没错。满意", "他说很好很满意"]
    found = [[(m_.cue, m_.negated) for m_ in ms] for ms in m.find(texts)]
    assert found == [[(0, True)], [(0, False)], [(1, False)], [(2, False)], [(1, True)], [(1, False)], [(1, False)]]


def test_english_matching_is_by_word_and_case_blind() -> None:
    m = CueMatcher(["happy", "thank you"], Negation(negators=("not",), window=3), "en")
    found = m.find(["Not very HAPPY", "unhappy", "Thank you!", "I wasn't happy", "happy, not sad", None])
    assert [[x.negated for x in ms] for ms in found] == [[True], [], [False], [True], [False], []]


def test_lexicon_shift_and_negated_label() -> None:
    lexicon = Lexicon(_spec())
    labels, shifts = lexicon.analyse(["我要投诉", "不开心", "好的", "不好的", "投诉！投诉！"], "zh")
    assert labels == [("anger",), ("anger",), (), (), ("anger",)]
    assert shifts.tolist() == [-2.0, -2.0, 0.5, 0.0, -2.0]  # each emotion counts once


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"emotions": {"a": {"name_zh": "x", "valence": 1, "negated": "nope"}}}, "not an emotion"),
        ({"emotions": {"a": {"name_zh": "x", "valence": 1, "zh": ["投诉", "投诉"]}}}, "twice"),
        ({"negation": {"zh": {"negators": ["不"]}}}, "missing"),
        ({"emotions": {"a": {"name_zh": "x", "valence": 1, "zh": [" "]}}}, "empty"),
    ],
)
def test_invalid_lexicons(changes: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        Lexicon(_spec(**changes))


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError):
        Lexicon(_spec(extra=1))
    with pytest.raises(ValueError, match="unsupported"):
        CueMatcher(["x"], NEG_ZH, "fr")
