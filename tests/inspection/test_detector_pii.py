"""personal_data detector: agent turns with masked ID / card numbers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.inspection.helpers import find, rule, spans

T = tuple[str, str, float, str | None]

CASES: list[tuple[str, dict[str, Any], list[Any], list[Any]]] = [
    ("agent reads out an ID", {}, [("agent", "您的身份证号是110***********123X，对吧", 1.0, "id_card")], [(1, 7, 25)]),
    ("customer gives an ID", {}, [("customer", "身份证110***********123X", 1.0, "id_card")], []),
    ("phone not in kinds", {}, [("agent", "您的手机138****5678", 1.0, "phone")], []),
    ("phone when asked", {"kinds": ["phone"]}, [("agent", "您的手机138****5678", 1.0, "phone")], [(1, 4, 15)]),
    ("card among kinds", {}, [("agent", "卡号6222********1234", 1.0, "bank_card,phone")], [(1, 2, 18)]),
    ("no span found: whole turn", {}, [("agent", "已核对", 1.0, "id_card")], [(1, 0, 3)]),
    ("no pii", {}, [("agent", "您好", 1.0, None)], []),
]


@pytest.mark.parametrize(("name", "params", "turns", "expected"), CASES, ids=[c[0] for c in CASES])
def test_personal_data(name: str, params: dict[str, Any], turns: list[Any], expected: list[Any]) -> None:
    assert spans(find(rule("personal_data", params), turns)) == expected
