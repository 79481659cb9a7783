"""sentiment and mood_trend detectors, with a real in-memory model; and the built-in model."""

from __future__ import annotations

from typing import Any

import pytest

from csqm.inspection.engine import Inspector
from tests.inspection.helpers import FakeSentiment, batch_of, conversation, find, packs_of, rule, spans

TURN: list[tuple[str, dict[str, Any], list[tuple[str, str]], list[Any]]] = [
    ("negative turn", {"below": -0.5}, [("customer", "服务太差"), ("customer", "好")], [(1, 0, 4)]),
    ("agent turns ignored", {"below": -0.5}, [("agent", "太差")], []),
    (
        "emotion only",
        {"below": None, "emotions": ["anger"]},
        [("customer", "我很愤怒"), ("customer", "差")],
        [(1, 0, 4)],
    ),
    (
        "either",
        {"below": -0.5, "emotions": ["anger"]},
        [("customer", "怒"), ("customer", "差")],
        [(1, 0, 1), (2, 0, 1)],
    ),
    ("neutral", {"below": -0.5}, [("customer", "嗯")], []),
]


@pytest.mark.parametrize(("name", "params", "turns", "expected"), TURN, ids=[t[0] for t in TURN])
def test_sentiment(name: str, params: dict[str, Any], turns: list[tuple[str, str]], expected: list[Any]) -> None:
    assert spans(find(rule("sentiment", params), turns, sentiment=FakeSentiment())) == expected


MOOD: list[tuple[str, list[tuple[str, str]], list[int]]] = [
    (
        "worsening",
        [("customer", "好"), ("customer", "好"), ("customer", "嗯"), ("customer", "差"), ("customer", "差")],
        [5],
    ),
    ("steady", [("customer", "好"), ("customer", "好"), ("customer", "好")], []),
    ("improving", [("customer", "差"), ("customer", "差"), ("customer", "好"), ("customer", "好")], []),
    ("too short", [("customer", "好"), ("customer", "差")], []),
]


@pytest.mark.parametrize(("name", "turns", "seqs"), MOOD, ids=[m[0] for m in MOOD])
def test_mood_trend(name: str, turns: list[tuple[str, str]], seqs: list[int]) -> None:
    found = find(rule("mood_trend", {"drop": 1.0, "span": 2, "min_turns": 3}), turns, sentiment=FakeSentiment())
    assert [f.seq for f in found] == seqs
    assert all("→" in f.evidence for f in found)


def test_each_turn_scored_once_per_batch() -> None:
    model = FakeSentiment()
    packs = packs_of([rule("sentiment", {"below": -0.5}, id="a"), rule("mood_trend", {}, id="b")])
    Inspector(packs, sentiment=model).run(batch_of([conversation([("customer", "差"), ("customer", "好")])]))
    assert model.calls == 1


def test_with_the_built_in_model() -> None:
    found = find(
        rule("sentiment", {"below": -0.3}),
        [("customer", "太差劲了，非常失望，再也不买了"), ("customer", "谢谢，非常满意")],
    )
    assert [f.seq for f in found] == [1]
