"""repetition detector: normalised exact repeats and similar repeats."""

from __future__ import annotations

from typing import Any

import pytest

from tests.inspection.helpers import find, rule

CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]], list[int]]] = [
    (
        "three times",
        {"times": 3},
        [
            ("customer", "我的退款什么时候到？"),
            ("agent", "稍等"),
            ("customer", "嗯，我的退款什么时候到"),
            ("customer", "那个，我的退款什么时候到啊!"),
        ],
        [],
    ),
    (
        "three times exact after filler",
        {"times": 3},
        [("customer", "退款什么时候到"), ("customer", "嗯，退款什么时候到？"), ("customer", "请问退款什么时候到")],
        [3],
    ),
    ("twice is not enough", {"times": 3}, [("customer", "退款什么时候到"), ("customer", "退款什么时候到")], []),
    ("short turns ignored", {"times": 2, "min_chars": 4}, [("customer", "好的"), ("customer", "好的")], []),
    ("agent repeats do not count", {"times": 2}, [("agent", "请您稍等一下"), ("agent", "请您稍等一下")], []),
    (
        "similar with threshold",
        {"times": 2, "similarity": 0.6},
        [("customer", "我的退款什么时候到账"), ("customer", "我的退款到底什么时候到账")],
        [2],
    ),
    (
        "different with threshold",
        {"times": 2, "similarity": 0.6},
        [("customer", "我的退款什么时候到账"), ("customer", "快递员电话是多少")],
        [],
    ),
]


@pytest.mark.parametrize(("name", "params", "turns", "seqs"), CASES, ids=[c[0] for c in CASES])
def test_repetition(name: str, params: dict[str, Any], turns: list[tuple[str, str]], seqs: list[int]) -> None:
    assert [f.seq for f in find(rule("repetition", params), turns)] == seqs
