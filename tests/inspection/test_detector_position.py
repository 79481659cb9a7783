"""position and absence detectors: greeting / closing windows, required scripts, N/A."""

from __future__ import annotations

from typing import Any

import pytest

from tests.inspection.helpers import find, rule, spans

GREET = {"phrases": ["您好"], "window": "first", "turns": 2, "must": "say"}
CLOSE = {"phrases": ["再见"], "window": "last", "turns": 1, "must": "say"}
NO_EARLY = {"phrases": ["退款"], "window": "first", "turns": 1, "must": "not_say"}

CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]], list[Any]]] = [
    ("greeting in first agent turn", GREET, [("customer", "喂"), ("agent", "您好")], []),
    ("greeting in second agent turn", GREET, [("agent", "请讲"), ("customer", "喂"), ("agent", "您好")], []),
    ("greeting too late", GREET, [("agent", "请讲"), ("agent", "嗯"), ("agent", "您好")], [(None, None, None)]),
    ("greeting missing", GREET, [("agent", "请讲")], [(None, None, None)]),
    ("closing in last turn", CLOSE, [("agent", "再见"), ("agent", "好"), ("customer", "拜拜")], [(None, None, None)]),
    ("closing present", CLOSE, [("agent", "好"), ("agent", "再见"), ("customer", "拜拜")], []),
    ("must not say early", NO_EARLY, [("agent", "退款吗"), ("agent", "退款")], [(1, 0, 2)]),
]


@pytest.mark.parametrize(("name", "params", "turns", "expected"), CASES, ids=[c[0] for c in CASES])
def test_position(name: str, params: dict[str, Any], turns: list[tuple[str, str]], expected: list[Any]) -> None:
    assert spans(find(rule("position", params, speaker="agent"), turns)) == expected


def test_position_evidence_says_what_was_missing() -> None:
    (f,) = find(rule("position", GREET, speaker="agent"), [("agent", "请讲")])
    assert "您好" in f.evidence and f.seq is None


ABSENT = {"phrases": ["还有其他", "还有别的"]}

ABSENCE: list[tuple[str, dict[str, Any], list[tuple[str, str]], int]] = [
    ("said", ABSENT, [("agent", "请问还有其他问题吗")], 0),
    ("said by the customer only", ABSENT, [("customer", "还有别的"), ("agent", "好")], 1),
    ("never said", ABSENT, [("agent", "好的"), ("agent", "再见")], 1),
    ("min_count", {**ABSENT, "min_count": 2}, [("agent", "还有其他吗")], 1),
]


@pytest.mark.parametrize(("name", "params", "turns", "count"), ABSENCE, ids=[c[0] for c in ABSENCE])
def test_absence(name: str, params: dict[str, Any], turns: list[tuple[str, str]], count: int) -> None:
    assert len(find(rule("absence", params, speaker="agent"), turns)) == count


def test_absence_not_applicable_without_the_speaker() -> None:
    from csqm.inspection.engine import Inspector
    from tests.inspection.helpers import batch_of, conversation, packs_of

    packs = packs_of([rule("absence", ABSENT, speaker="agent", item="item_a")])
    result = Inspector(packs).run(batch_of([conversation([("customer", "喂")])])).conversation(0)
    assert result.findings == () and result.score is None and result.passed is None
