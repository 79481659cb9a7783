"""Masker.mask_text / mask_texts: kinds reported, bulk behaviour, idempotency."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csqm.privacy import Masker, PiiMatch, Recognizer, analyze

from .pii_helpers import bad_check_id, luhn_complete, make_id

MASKER = Masker(b"test-secret-0123456789")
ID = make_id()
CARD = luhn_complete("622202123456789")

MIXED = [
    ("您好，请问有什么可以帮您？", "您好，请问有什么可以帮您？", None),
    ("手机13812345678谢谢", "手机138****5678谢谢", "phone"),
    (None, None, None),
    ("", "", None),
    (f"卡号{CARD}，邮箱x@y.com", f"卡号6222********{CARD[-4:]}，邮箱x***@y.com", "bank_card,email"),
    (f"身份证{ID}电话010-12345678", f"身份证110***********{ID[-4:]}电话010-****5678", "id_card,phone"),
    ("订单号20231115123456789012", "订单号20231115123456789012", None),
    ("１３８１２３４５６７８", "138****5678", "phone"),
]


def test_mask_text_none_and_clean() -> None:
    assert MASKER.mask_text(None) == (None, ())
    text = "没有个人信息的句子 123"
    masked, kinds = MASKER.mask_text(text)
    assert masked is text and kinds == ()


def test_mask_text_kinds_sorted_distinct() -> None:
    masked, kinds = MASKER.mask_text(f"{CARD} 13812345678 13987654321 a@b.com")
    assert kinds == ("bank_card", "email", "phone")
    assert masked == f"6222********{CARD[-4:]} 138****5678 139****4321 a***@b.com"


def test_mask_texts_bulk() -> None:
    texts = [t for t, _, _ in MIXED]
    masked, kinds = MASKER.mask_texts(texts)
    assert masked == [m for _, m, _ in MIXED]
    assert kinds == [k for _, _, k in MIXED]
    assert MASKER.mask_texts([]) == ([], [])


def test_mask_texts_agrees_with_mask_text() -> None:
    texts = [t for t, _, _ in MIXED]
    masked, kinds = MASKER.mask_texts(texts)
    one_by_one = [MASKER.mask_text(t) for t in texts]
    assert masked == [m for m, _ in one_by_one]
    assert kinds == [",".join(k) or None for _, k in one_by_one]


def test_mask_texts_does_not_touch_its_input() -> None:
    texts: list[str | None] = ["13812345678"]
    MASKER.mask_texts(texts)
    assert texts == ["13812345678"]


class DigitsOnlyRecognizer(Recognizer):
    """A plugin-style recognizer without prefilter or regex: every text goes through it."""

    def __init__(self) -> None:
        super().__init__("member_no", "member_id")

    def find(self, text: str) -> list[PiiMatch]:
        at = text.find("M-")
        if at < 0 or not text[at + 2 : at + 8].isdigit():
            return []
        return [PiiMatch(self.kind, at, at + 8, self.name, 0.5)]


def test_custom_recognizer_without_prefilter_still_runs() -> None:
    masker = Masker(b"k" * 16, recognizers=[DigitsOnlyRecognizer()])
    assert masker.mask_texts(["会员M-123456好", "无"]) == (["会员M-***56好", "无"], ["member_id", None])


@pytest.mark.parametrize("text", [t for t, _, _ in MIXED if t] + [f"身份证{bad_check_id(True)}"])
def test_masking_is_idempotent(text: str) -> None:
    once, _ = MASKER.mask_text(text)
    assert once is not None
    assert MASKER.mask_text(once) == (once, ())
    assert analyze(once) == []


# Text built from pieces that provoke the recognizers: digits, separators, PII, masks, Chinese.
DIGITS = ["1", "3", "8", "0", "86", "+", "-", " ", "@", ".", "*", "X", "a", "com"]
WORDS = ["手机", "身份证", "卡号", "ID", "110101", "19900307", "谢谢", "，"]
LARGE = ["13812345678", "010-12345678", "+44 20 7946 0958", ID, CARD, "x@y.com", "138****5678", "6222 0212"]
PIECES = st.sampled_from([*DIGITS, *WORDS, *LARGE])
TEXTS = st.lists(PIECES, max_size=25).map("".join) | st.text(alphabet="0123456789 -+@.*x卡号", max_size=60)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_masking_twice_equals_once(text: str) -> None:
    once, kinds = MASKER.mask_text(text)
    assert once is not None
    assert MASKER.mask_text(once) == (once, ())
    assert analyze(once) == []
    assert MASKER.mask_texts([text]) == ([once], [",".join(kinds) or None])


def test_mask_texts_passes_non_strings_through() -> None:
    nan = float("nan")
    masked, kinds = MASKER.mask_texts([nan, "13812345678"])  # type: ignore[list-item]
    assert masked[0] is nan
    assert kinds == [None, "phone"]
