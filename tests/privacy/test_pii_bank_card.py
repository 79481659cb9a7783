"""Bank cards: Luhn-valid 13-19 digit numbers, grouped or not, and card context words."""

from __future__ import annotations

import pytest

from csqm.privacy import Masker, analyze
from csqm.privacy.validators import luhn

from .pii_helpers import luhn_break, luhn_complete, luhn_ok

MASKER = Masker(b"test-secret-0123456789")

CARD16 = luhn_complete("622202123456789")
CARD19 = luhn_complete("621700123456789012")
CARD13 = luhn_complete("401288888888")
VISA = luhn_complete("411111111111111")
BAD16 = luhn_break(CARD16)
BAD19 = luhn_break(CARD19)
BAD13 = luhn_break(CARD13)


def _stars(digits: str) -> str:
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def _grouped(digits: str, sep: str) -> str:
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


def test_helpers_make_what_they_say() -> None:
    assert all(luhn_ok(c) for c in (CARD16, CARD19, CARD13, VISA))
    assert not any(luhn_ok(c) for c in (BAD16, BAD19, BAD13))


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (CARD16, _stars(CARD16)),
        (f"卡号{CARD16}谢谢", f"卡号{_stars(CARD16)}谢谢"),
        (f"退到{CARD19}这张卡", f"退到{_stars(CARD19)}这张卡"),
        (f"short card {CARD13}.", f"short card {_stars(CARD13)}."),
        (f"请退到{_grouped(CARD16, ' ')}，谢谢", f"请退到{_stars(CARD16)}，谢谢"),
        (f"card {_grouped(VISA, '-')} ok", f"card {_stars(VISA)} ok"),
        (f"卡{_grouped(CARD19, ' ')}", f"卡{_stars(CARD19)}"),
        (f"卡号{BAD16}", f"卡号{_stars(BAD16)}"),  # Luhn fails, card context
        (f"银行卡号是 {BAD19}", f"银行卡号是 {_stars(BAD19)}"),
        (f"credit card number: {BAD16}", f"credit card number: {_stars(BAD16)}"),
        (f"信用卡{_grouped(BAD16, ' ')}", f"信用卡{_stars(BAD16)}"),
        (f"{CARD16} 12点前处理", f"{_stars(CARD16)} 12点前处理"),
    ],
)
def test_bank_card_positives(text: str, masked: str) -> None:
    assert MASKER.mask_text(text) == (masked, ("bank_card",))


@pytest.mark.parametrize(
    "text",
    [
        BAD16,  # Luhn fails, no context
        f"订单{BAD19}",
        f"卡号{BAD13}",  # context upgrades 16-19 digits only
        f"卡号信息我稍后再单独发给您，订单是{BAD16}",  # context too far away
        luhn_complete("2023111512345678901"[:19]) + "0",  # 20 digits, never part of one
        f"订单号{luhn_complete('2023111512345678')}9",
        f"{_grouped(CARD16, '-')}-1234",  # part of a longer dash-joined number
        "订单123456789012",
    ],
)
def test_bank_card_negatives(text: str) -> None:
    assert [m for m in analyze(text) if m.kind == "bank_card"] == []


@pytest.mark.parametrize(
    ("value", "ok"),
    [(CARD16, True), (_grouped(CARD16, " "), True), (BAD16, False), ("4111", False), ("0" * 20, False)],
)
def test_luhn_validator(value: str, ok: bool) -> None:
    assert luhn(value) is ok


def test_recognizer_names() -> None:
    assert [m.recognizer for m in analyze(CARD16)] == ["bank_card_luhn"]
    assert [m.recognizer for m in analyze(f"卡号{BAD16}")] == ["bank_card_context"]


@pytest.mark.parametrize("sep", ["", " "])
def test_card_followed_by_a_number_is_still_found(sep: str) -> None:
    # the regex first takes 18 digits ("… 7894 12"), Luhn rejects them, the card alone is retried
    suffix = next(s for s in ("12", "13", "14") if not luhn_ok(CARD16 + s))
    text = f"卡{_grouped(CARD16, sep) if sep else CARD16} {suffix}点前处理"
    assert MASKER.mask_text(text) == (f"卡{_stars(CARD16)} {suffix}点前处理", ("bank_card",))
