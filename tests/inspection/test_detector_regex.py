"""regex detector: matches, prefilter, anchors per turn, validation."""

from __future__ import annotations

from typing import Any

import pytest

from csqm.inspection.loading import PackError
from tests.inspection.helpers import find, packs_of, rule, spans

CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]], list[Any]]] = [
    ("history reference", {"regex": "您上次.{0,10}?订单"}, [("agent", "我看到您上次买手表的订单")], [(1, 3, 12)]),
    (
        "with prefilter",
        {"regex": "您上次.{0,10}?订单", "prefilter": ["您上次"]},
        [("agent", "您上次的订单")],
        [(1, 0, 6)],
    ),
    ("prefilter absent", {"regex": "您.{0,10}?订单", "prefilter": ["您上次"]}, [("agent", "您的订单")], []),
    ("anchored per turn", {"regex": "^好的"}, [("agent", "嗯好的"), ("agent", "好的")], [(2, 0, 2)]),
    ("ignore case", {"regex": "order [0-9]+"}, [("agent", "ORDER 123")], [(1, 0, 9)]),
    ("never across turns", {"regex": "A.*B"}, [("agent", "A"), ("agent", "B")], []),
    ("min_count", {"regex": "[0-9]{3}", "min_count": 2}, [("agent", "123"), ("agent", "ab")], []),
]


@pytest.mark.parametrize(("name", "params", "turns", "expected"), CASES, ids=[c[0] for c in CASES])
def test_regex(name: str, params: dict[str, Any], turns: list[tuple[str, str]], expected: list[Any]) -> None:
    assert spans(find(rule("regex", params, speaker="agent"), turns)) == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"regex": "("}, "invalid regular expression"),
        ({"regex": "a*"}, "matches the empty string"),
        ({"phrases": ["x"]}, "regex is required"),
    ],
)
def test_bad_regex_is_reported(params: dict[str, Any], message: str) -> None:
    with pytest.raises(PackError, match=message):
        packs_of([rule("regex", params)])
