"""Scorecard arithmetic against hand-computed scores: weights, deductions, caps, N/A, fatal."""

from __future__ import annotations

from typing import Any

import pytest

from csqm.inspection.engine import Inspector
from tests.inspection.helpers import batch_of, conversation, packs_of, rule

CARD = {
    "id": "card",
    "name_zh": "卡",
    "name_en": "Card",
    "pass_score": 80,
    "items": [
        {"id": "greeting", "name_zh": "问候", "name_en": "Greeting", "weight": 10},
        {"id": "courtesy", "name_zh": "礼貌", "name_en": "Courtesy", "weight": 30, "deduction": 10},
        {"id": "promise", "name_zh": "承诺", "name_en": "Promise", "weight": 20, "deduction": 8, "max_deduction": 12},
        {"id": "identity", "name_zh": "核实", "name_en": "Identity", "weight": 40},
    ],
}
RULES = [
    rule("position", {"phrases": ["您好"], "turns": 1}, id="greet", speaker="agent", item="greeting"),
    rule("keywords", {"any": ["不知道"]}, id="rude", speaker="agent", item="courtesy"),
    rule("keywords", {"any": ["保证"]}, id="promise", speaker="agent", item="promise"),
    rule(
        "order",
        {"first": {"phrases": ["核实"]}, "then": {"phrases": ["查到"]}},
        id="identity",
        speaker="agent",
        item="identity",
    ),
    rule("personal_data", {}, id="leak", severity="fatal"),
    rule("keywords", {"any": ["谢谢"]}, id="thanks", speaker="customer", severity="info", item="courtesy"),
]

# (name, turns, score, passed, fatal)
CASES: list[tuple[str, list[Any], float | None, bool | None, int]] = [
    # identity N/A (nothing disclosed): 60 points apply; all earned
    ("clean, identity N/A", [("agent", "您好")], 100.0, True, 0),
    # greeting missing (-10), identity N/A: 50 / 60
    ("no greeting", [("agent", "请讲")], 83.33, True, 0),
    # courtesy: 2 hits × 10 = 20 of 30; promise 3 × 8 capped at 12 of 20: (10 + 10 + 8) / 60
    ("deductions and cap", [("agent", "您好，不知道"), ("agent", "不知道，保证保证保证")], 46.67, False, 0),
    # informational findings never deduct, even with an item
    ("info never deducts", [("agent", "您好"), ("customer", "谢谢")], 100.0, True, 0),
    # disclosure before check: identity applies, loses 40: (10 + 30 + 20 + 0) / 100
    ("identity applies", [("agent", "您好，我查到了")], 60.0, False, 0),
    # verified first: 100 / 100
    ("identity ok", [("agent", "您好，先核实"), ("agent", "我查到了")], 100.0, True, 0),
    # fatal finding: score 0 whatever else
    ("fatal", [("agent", "您好"), ("agent", "身份证110***********123X", 30.0, "id_card")], 0.0, False, 1),
]


@pytest.mark.parametrize(("name", "turns", "score", "passed", "fatal"), CASES, ids=[c[0] for c in CASES])
def test_scores(name: str, turns: list[Any], score: float | None, passed: bool | None, fatal: int) -> None:
    result = Inspector(packs_of(RULES, [CARD])).run(batch_of([conversation(turns)])).conversation(0)
    assert (result.score, result.passed, result.fatal_count) == (score, passed, fatal)


def test_deductions_are_recorded_per_finding() -> None:
    turns = [("agent", "您好，保证"), ("agent", "保证"), ("agent", "保证")]
    result = Inspector(packs_of(RULES, [CARD])).run(batch_of([conversation(turns)])).conversation(0)
    assert [f.deduction for f in result.by_rule("promise")] == [8.0, 4.0, 0.0]
    item = next(i for i in result.items if i.item == "promise")
    assert (item.earned, item.applicable, item.findings) == (8.0, True, 3)


def test_fatal_item_fails_any_finding() -> None:
    card = {**CARD, "items": [{**CARD["items"][1], "fatal": True}]}
    result = (
        Inspector(packs_of([RULES[1]], [card])).run(batch_of([conversation([("agent", "不知道")])])).conversation(0)
    )
    assert (result.score, result.passed, result.fatal_count) == (0.0, False, 1)
    assert result.findings[0].severity == "fatal"


def test_most_specific_scorecard_wins() -> None:
    general = {**CARD, "id": "general"}
    chat = {**CARD, "id": "chat", "channels": ["chat"]}
    billing_chat = {**CARD, "id": "billing_chat", "channels": ["chat"], "scenarios": ["billing"]}
    inspector = Inspector(packs_of(RULES, [general, chat, billing_chat]))
    convs = [
        conversation([("agent", "您好")], iid="a", channel="phone"),
        conversation([("agent", "您好")], iid="b", channel="chat"),
        conversation([("agent", "您好")], iid="c", channel="chat", topic="billing"),
    ]
    assert [r.scorecard_id for r in inspector.run(batch_of(convs)).conversations()] == [
        "general",
        "chat",
        "billing_chat",
    ]


def test_no_scorecard_no_score() -> None:
    result = (
        Inspector(packs_of([RULES[1]], [{**CARD, "channels": ["email"]}]))
        .run(batch_of([conversation([("agent", "不知道")])]))
        .conversation(0)
    )
    assert (result.scorecard_id, result.score, result.passed) == (None, None, None)
    assert result.findings[0].item is None
