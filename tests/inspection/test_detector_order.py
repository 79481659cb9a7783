"""order detector: A before B, N/A without B, speakers per step."""

from __future__ import annotations

from typing import Any

import pytest

from csqm.inspection.engine import Inspector
from tests.inspection.helpers import batch_of, conversation, find, packs_of, rule, spans

ORDER = {
    "first": {"phrases": ["核实", "尾号"], "speakers": ["agent", "customer"]},
    "then": {"phrases": ["我这边查到"], "speakers": ["agent"]},
}

CASES: list[tuple[str, list[tuple[str, str]], list[Any]]] = [
    ("verified first", [("agent", "先核实身份"), ("agent", "我这边查到您的包裹")], []),
    ("customer gave the check", [("customer", "尾号1234"), ("agent", "我这边查到了")], []),
    ("disclosed first", [("agent", "我这边查到您的包裹"), ("agent", "核实一下")], [(1, 0, 5)]),
    ("same turn, check first", [("agent", "核实后我这边查到")], []),
    ("same turn, check after", [("agent", "我这边查到，再核实")], [(1, 0, 5)]),
    ("only first disclosure", [("agent", "我这边查到"), ("agent", "我这边查到")], [(1, 0, 5)]),
    ("no disclosure", [("agent", "您好")], []),
]


@pytest.mark.parametrize(("name", "turns", "expected"), CASES, ids=[c[0] for c in CASES])
def test_order(name: str, turns: list[tuple[str, str]], expected: list[Any]) -> None:
    assert spans(find(rule("order", ORDER, speaker="agent"), turns)) == expected


def test_not_applicable_without_disclosure() -> None:
    packs = packs_of([rule("order", ORDER, speaker="agent", item="item_a")])
    result = Inspector(packs).run(batch_of([conversation([("agent", "您好")])])).conversation(0)
    assert result.score is None
    item = result.items[0]
    assert not item.applicable
