"""Overlaps and precedence between kinds; what analysts need stays untouched."""

from __future__ import annotations

import itertools

import pytest

from csqm.privacy import PiiMatch, analyze, resolve_overlaps

from .pii_helpers import bad_check_id, luhn_ok, mobile_luhn, valid_id_luhn

ID_AND_LUHN = valid_id_luhn(luhn=True)
BAD_ID_LUHN = bad_check_id(luhn=True)
BAD_ID_NO_LUHN = bad_check_id(luhn=False)
MOBILE_86_LUHN = mobile_luhn(luhn=True)


def test_helpers_make_what_they_say() -> None:
    assert luhn_ok(ID_AND_LUHN) and luhn_ok(BAD_ID_LUHN) and not luhn_ok(BAD_ID_NO_LUHN)
    assert luhn_ok("86" + MOBILE_86_LUHN)


@pytest.mark.parametrize(
    ("text", "kind", "recognizer"),
    [
        (ID_AND_LUHN, "id_card", "prc_id_18"),  # valid ID beats Luhn
        (f"卡号{ID_AND_LUHN}", "id_card", "prc_id_18"),  # even after a card word
        (f"身份证{BAD_ID_LUHN}", "id_card", "prc_id_18_context"),  # ID context beats Luhn
        (f"身份证和银行卡{BAD_ID_LUHN}", "id_card", "prc_id_18_context"),
        (BAD_ID_LUHN, "bank_card", "bank_card_luhn"),  # no context: Luhn decides
        (f"卡号{BAD_ID_NO_LUHN}", "bank_card", "bank_card_context"),
        (f"86{MOBILE_86_LUHN}", "phone", "cn_mobile"),  # 13 Luhn-valid digits that are a mobile
        ("+86 138 1234 5678", "phone", "cn_mobile"),  # beats the international pattern
        ("13812345678@qq.com", "email", "email"),  # the longer finding wins
    ],
)
def test_precedence(text: str, kind: str, recognizer: str) -> None:
    (match,) = analyze(text)
    assert (match.kind, match.recognizer) == (kind, recognizer)


@pytest.mark.parametrize(
    "text",
    [
        "订单号20231115123456789012请查收",  # 20 digits
        "订单号 202311150001",  # 12 digits
        "您的订单 123456789012 已发货",
        "运单号SF123456789012",
        BAD_ID_NO_LUHN,  # validates as nothing, no context
        "物流单号 7700123456789012345678",
        "金额 1234567.89 元",
        "2023-11-15 10:30:00",
        "版本 10.2.3.4567",
    ],
)
def test_numbers_analysts_need_stay(text: str) -> None:
    assert analyze(text) == []


def test_findings_are_sorted_and_disjoint() -> None:
    text = f"电话13812345678，邮箱a@b.com，身份证{ID_AND_LUHN}，座机010-12345678"
    found = analyze(text)
    assert [m.kind for m in found] == ["phone", "email", "id_card", "phone"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    assert text[found[0].start : found[0].end] == "13812345678"


def test_resolve_overlaps_longest_then_score() -> None:
    long_low = PiiMatch("bank_card", 0, 16, "a", 0.1)
    short_high = PiiMatch("phone", 2, 13, "b", 0.99)
    same_span_high = PiiMatch("id_card", 0, 16, "c", 0.9)
    later = PiiMatch("email", 20, 30, "d", 0.5)
    assert resolve_overlaps([short_high, long_low, later]) == [long_low, later]
    assert resolve_overlaps([long_low, same_span_high]) == [same_span_high]
    assert resolve_overlaps([]) == []


def test_match_explains_itself_without_the_value() -> None:
    (match,) = analyze("手机13812345678谢谢")
    assert match == PiiMatch("phone", 2, 13, "cn_mobile", 0.9)
    assert match.describe() == "phone at 2-13 (cn_mobile, 0.90)"
    assert match.length == 11
