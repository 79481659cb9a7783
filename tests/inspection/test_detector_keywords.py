"""keywords detector: any / all / near, negation, exceptions, min_count, case and word boundaries."""

from __future__ import annotations

from typing import Any

import pytest

from tests.inspection.helpers import find, rule, spans

CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]], list[tuple[int | None, int | None, int | None]]]] = [
    ("any: one hit", {"any": ["不知道"]}, [("agent", "这个我不知道")], [(1, 3, 6)]),
    ("any: two hits in one turn", {"any": ["保证"]}, [("agent", "保证，我保证")], [(1, 0, 2), (1, 4, 6)]),
    ("any: longest of overlapping", {"any": ["不归我管", "这不归我管"]}, [("agent", "这不归我管")], [(1, 0, 5)]),
    ("any: only the rule's speaker", {"any": ["投诉"]}, [("customer", "我要投诉")], []),
    ("any: nothing", {"any": ["骗子"]}, [("agent", "您好")], []),
    ("negation cancels", {"any": ["骗你"], "negations": ["不是"]}, [("agent", "我不是骗你")], []),
    (
        "negation too far",
        {"any": ["骗你"], "negations": ["不是"], "negation_window": 0},
        [("agent", "不是说骗你")],
        [(1, 3, 5)],
    ),
    ("exception phrase", {"any": ["一定"], "exceptions": ["有一定"]}, [("agent", "有一定延迟，一定到")], [(1, 6, 8)]),
    ("all in one turn", {"all": ["退款", "到账"]}, [("agent", "退款明天到账"), ("agent", "退款")], [(1, 0, 6)]),
    ("all missing one", {"all": ["退款", "到账"]}, [("agent", "退款"), ("agent", "到账")], []),
    (
        "near within",
        {"near": {"first": ["保证"], "second": ["到账"], "within": 3}},
        [("agent", "保证明天到账")],
        [(1, 0, 6)],
    ),
    ("near too far", {"near": {"first": ["保证"], "second": ["到账"], "within": 1}}, [("agent", "保证明天到账")], []),
    (
        "min_count reached",
        {"any": ["投诉"], "min_count": 2},
        [("agent", "投诉"), ("agent", "再投诉")],
        [(1, 0, 2), (2, 1, 3)],
    ),
    ("min_count not reached", {"any": ["投诉"], "min_count": 2}, [("agent", "投诉")], []),
    ("ascii case-insensitive", {"any": ["Refund"]}, [("agent", "your REFUND is late")], [(1, 5, 11)]),
    ("latin whole words", {"any": ["sue"]}, [("agent", "this issue"), ("agent", "I will sue")], [(2, 7, 10)]),
    ("after masked digits", {"any": ["12315"]}, [("agent", "打12315投诉"), ("agent", "0123150")], [(1, 1, 6)]),
]


@pytest.mark.parametrize(("name", "params", "turns", "expected"), CASES, ids=[c[0] for c in CASES])
def test_keywords(name: str, params: dict[str, Any], turns: list[tuple[str, str]], expected: list[Any]) -> None:
    assert spans(find(rule("keywords", params, speaker="agent"), turns)) == expected


def test_finding_explains_itself() -> None:
    (f,) = find(
        rule("keywords", {"any": ["不知道"]}, speaker="agent", id="t.forbidden", severity="non_fatal"),
        [("agent", "您好"), ("agent", "这个我不知道，您等通知吧")],
    )
    assert (f.rule_id, f.detector, f.interaction_id, f.seq, f.start, f.end) == (
        "t.forbidden",
        "keywords",
        "c1",
        2,
        3,
        6,
    )
    assert f.severity == "non_fatal" and "【不知道】" in f.evidence
    assert "t.forbidden" in f.describe() and "turn 2" in f.describe()


def test_channel_and_scenario_scope() -> None:
    r = rule("keywords", {"any": ["不知道"]}, channels=["chat"], scenarios=["billing"])
    turns = [("agent", "不知道")]
    assert find(r, turns, channel="phone", topic="billing") == []
    assert find(r, turns, channel="chat", topic="returns") == []
    assert len(find(r, turns, channel="chat", topic="billing")) == 1
