"""redact_for_message: values safe for error messages, logs and the quarantine table."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csqm.privacy import redact_for_message

from .pii_helpers import bad_check_id, luhn_complete, make_id

ID = make_id()
CARD = luhn_complete("622202123456789")
BAD = bad_check_id(luhn=False)  # 18 digits that validate as nothing


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("手机13812345678谢谢", "手机138****5678谢谢"),
        (f"bad id {ID}", f"bad id 110***********{ID[-4:]}"),
        (f"card {CARD}", f"card 6222********{CARD[-4:]}"),
        ("mail zhang@qq.com", "mail z***@qq.com"),
        ("phone '1381234567' is too short", "phone '13******67' is too short"),  # malformed: starred anyway
        (f"{BAD} no context", f"{BAD[:2]}{'*' * 14}{BAD[-2:]} no context"),
        ("zhang@qq", "z***@qq"),  # not an e-mail, but an e-mail-like local part
        ("qty 12", "qty 12"),
        (None, "None"),
        ({"phone": "13812345678"}, "{'phone': '138****5678'}"),
        (13812345678, "138****5678"),
    ],
)
def test_redact_for_message(value: object, expected: str) -> None:
    assert redact_for_message(value) == expected


def test_truncates_with_ellipsis() -> None:
    out = redact_for_message("备注" * 100, limit=10)
    assert out == "备注" * 4 + "备…" and len(out) == 10
    assert redact_for_message("short", limit=10) == "short"


def test_pii_at_the_limit_is_masked_whole() -> None:
    out = redact_for_message("x" * 55 + "13812345678", limit=60)
    assert out == "x" * 55 + "138*…"
    assert "1381234" not in out


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="0123456789", min_size=7, max_size=19),
    st.sampled_from(["", "手机", "ID ", "卡号", "订单", "abc "]),
    st.sampled_from(["", "谢谢", " ok", "@qq.com"]),
)
def test_never_contains_the_raw_digits(digits: str, before: str, after: str) -> None:
    out = redact_for_message(f"{before}{digits}{after}", limit=200)
    assert digits not in out
