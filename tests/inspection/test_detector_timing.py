"""silence, reply_latency and long_hold detectors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.inspection.helpers import find, rule, spans

T = tuple[str, str, float]

CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], list[T], dict[str, Any], list[Any]]] = [
    (
        "silence",
        "silence",
        {"seconds": 20},
        {},
        [("agent", "a", 0.0), ("customer", "b", 5.0), ("agent", "c", 40.0)],
        {},
        [(3, 0, 1)],
    ),
    (
        "silence minus speaking time",
        "silence",
        {"seconds": 20, "seconds_per_char": 1.0},
        {},
        [("agent", "x" * 30, 0.0), ("agent", "c", 40.0)],
        {},
        [],
    ),
    (
        "silence only before the speaker",
        "silence",
        {"seconds": 20},
        {"speaker": "agent"},
        [("agent", "a", 0.0), ("customer", "b", 40.0)],
        {},
        [],
    ),
    ("no silence across conversations", "silence", {"seconds": 20}, {}, [("agent", "a", 0.0)], {}, []),
    (
        "slow chat reply from first unanswered",
        "reply_latency",
        {"seconds": 30},
        {},
        [("agent", "您好", 0.0), ("customer", "在吗", 10.0), ("customer", "人呢", 35.0), ("agent", "在的", 50.0)],
        {"channel": "chat"},
        [(4, 0, 2)],
    ),
    (
        "quick reply",
        "reply_latency",
        {"seconds": 30},
        {},
        [("customer", "在吗", 0.0), ("agent", "在的", 20.0)],
        {"channel": "chat"},
        [],
    ),
    (
        "reply to the first turn of the conversation",
        "reply_latency",
        {"seconds": 30},
        {},
        [("customer", "在吗", 0.0), ("agent", "在的", 31.0), ("agent", "请讲", 90.0)],
        {"channel": "chat"},
        [(2, 0, 2)],
    ),
    (
        "long hold",
        "long_hold",
        {"seconds": 60},
        {},
        [("agent", "稍等", 0.0)],
        {"hold_seconds": 61.0},
        [(None, None, None)],
    ),
    ("short hold", "long_hold", {"seconds": 60}, {}, [("agent", "稍等", 0.0)], {"hold_seconds": 60.0}, []),
    ("unknown hold", "long_hold", {"seconds": 60}, {}, [("agent", "稍等", 0.0)], {"hold_seconds": None}, []),
]


@pytest.mark.parametrize(
    ("name", "detector", "params", "extra", "turns", "attrs", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_timing(
    name: str,
    detector: str,
    params: dict[str, Any],
    extra: dict[str, Any],
    turns: list[T],
    attrs: dict[str, Any],
    expected: list[Any],
) -> None:
    assert spans(find(rule(detector, params, **extra), turns, **attrs)) == expected


def test_evidence_gives_the_seconds() -> None:
    (f,) = find(rule("long_hold", {"seconds": 60}), [("agent", "稍等", 0.0)], hold_seconds=200.0)
    assert "200 s" in f.evidence
