"""PRC resident ID numbers: check character, birth date, context words, old 15-digit IDs."""

from __future__ import annotations

import datetime as dt

import pytest

from csqm.privacy import Masker, analyze
from csqm.privacy.validators import prc_id, prc_id_15, prc_id_shape

from .pii_helpers import bad_check_id, id_with_check, luhn_ok, make_id, old_id

MASKER = Masker(b"test-secret-0123456789")

VALID = make_id("110101", "19900307", "451")
VALID_X = id_with_check("X")
BAD = bad_check_id(luhn=False)  # wrong check digit, not Luhn-valid either
OLD = old_id(luhn=False)


def _stars(value: str) -> str:
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def test_helpers_make_what_they_say() -> None:
    assert VALID_X.endswith("X")
    assert prc_id(VALID) and prc_id(VALID_X) and not prc_id(BAD)
    assert not luhn_ok(BAD) and not luhn_ok(OLD)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (VALID, _stars(VALID)),
        (f"身份证号{VALID}谢谢", f"身份证号{_stars(VALID)}谢谢"),
        (f"my number is {VALID}.", f"my number is {_stars(VALID)}."),
        (f"号码{VALID_X}对吗", f"号码{_stars(VALID_X)}对吗"),
        (f"号码{VALID_X.lower()}对吗", f"号码{_stars(VALID_X)}对吗"),
        (f"证件 {VALID[:6]} {VALID[6:14]} {VALID[14:]} 收到", f"证件 {_stars(VALID)} 收到"),
        (f"身份证{BAD}", f"身份证{_stars(BAD)}"),  # wrong check digit, but ID context
        (f"证件号码：{BAD}", f"证件号码：{_stars(BAD)}"),
        (f"ID: {BAD}", f"ID: {_stars(BAD)}"),
        (f"identity number {BAD}", f"identity number {_stars(BAD)}"),
        (f"身份证{OLD}谢谢", f"身份证{_stars(OLD)}谢谢"),  # old 15-digit ID in context
    ],
)
def test_id_card_positives(text: str, masked: str) -> None:
    assert MASKER.mask_text(text) == (masked, ("id_card",))


@pytest.mark.parametrize(
    "text",
    [
        BAD,  # wrong check digit, no context
        f"订单{BAD}",
        f"身份证号码我稍后再单独发给您，先看订单{BAD}",  # context word more than 12 characters before
        f"paid {BAD}",  # 'id' inside an English word is no context
        OLD,  # 15 digits without context
        f"身份证{make_id('110101', '19901345', '451')}",  # month 13
        f"身份证{make_id('110101', '18991231', '451')}",  # before 1900
        f"身份证{make_id('010101', '19900307', '451')}",  # region code cannot start with 0
        f"身份证{VALID}1",  # part of a longer number
    ],
)
def test_id_card_negatives(text: str) -> None:
    assert [m for m in analyze(text) if m.kind == "id_card"] == []


def test_future_birth_date_is_no_id() -> None:
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).strftime("%Y%m%d")
    assert not prc_id(make_id("110101", tomorrow, "123"))
    assert prc_id(make_id("110101", dt.date.today().strftime("%Y%m%d"), "123"))


@pytest.mark.parametrize(
    ("value", "full", "shape", "old"),
    [
        (VALID, True, True, False),
        (VALID_X.lower(), True, True, False),
        (BAD, False, True, False),
        (make_id("110101", "19900230", "451"), False, False, False),  # 30 February
        (OLD, False, False, True),
        ("110101900230123", False, False, False),  # 15 digits, 30 February
        ("12345", False, False, False),
    ],
)
def test_id_validators(value: str, full: bool, shape: bool, old: bool) -> None:
    assert (prc_id(value), prc_id_shape(value), prc_id_15(value)) == (full, shape, old)


def test_recognizer_names_explain_the_finding() -> None:
    assert [m.recognizer for m in analyze(VALID)] == ["prc_id_18"]
    assert [m.recognizer for m in analyze(f"身份证{BAD}")] == ["prc_id_18_context"]
    assert [m.recognizer for m in analyze(f"身份证{OLD}")] == ["prc_id_15_context"]
