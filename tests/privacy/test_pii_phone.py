"""Phone numbers: Chinese mobiles and landlines, international numbers, in free text."""

from __future__ import annotations

import pytest

from csqm.privacy import Masker, analyze

MASKER = Masker(b"test-secret-0123456789")

POSITIVES = [
    # (text, masked)
    ("手机13812345678谢谢", "手机138****5678谢谢"),
    ("13812345678", "138****5678"),
    ("我的电话是15900001111", "我的电话是159****1111"),
    ("19912345678是我的号码", "199****5678是我的号码"),
    ("call me at 13912345678.", "call me at 139****5678."),
    ("电话:138-1234-5678", "电话:138****5678"),
    ("电话 138 1234 5678 谢谢", "电话 138****5678 谢谢"),
    ("+86 138 1234 5678", "138****5678"),
    ("+86-138-1234-5678找我", "138****5678找我"),
    ("+8613812345678", "138****5678"),
    ("008613812345678", "138****5678"),
    ("0086 138 1234 5678", "138****5678"),
    ("号码8613812345678", "号码138****5678"),
    ("手机１３８１２３４５６７８谢谢", "手机138****5678谢谢"),  # full-width digits
    ("座机010-12345678", "座机010-****5678"),
    ("0755 87654321", "0755-****4321"),
    ("打(0755)87654321找我", "打0755-****4321找我"),
    ("座机075587654321谢谢", "座机0755-****4321谢谢"),
    ("02087654321", "020-****4321"),
    ("0571-8888888转", "0571-****8888转"),
    ("call +44 20 7946 0958 now", "call +44 ****0958 now"),
    ("US +1-415-555-0132", "US +1 ****0132"),
    ("US +1 (415) 555-0132。", "US +1 ****0132。"),
    ("法国+33 1 23 45 67 89谢谢", "法国+33 ****6789谢谢"),
    ("+442079460958", "+44 ****0958"),
    ("两个号码13812345678和13987654321", "两个号码138****5678和139****4321"),
]

NEGATIVES = [
    "订单123456789012",  # 12-digit order number
    "编号138123456789",  # 12 digits: no 11-digit mobile inside a longer number
    "1381234567",  # 10 digits
    "12812345678",  # 12x is no mobile prefix
    "订单号20231115123456789012",  # 20-digit order id
    "2023-11-15 10:30 已发货",
    "价格12345元，数量3",
    "138-1234-5678-9012",  # part of a longer dash-joined number
    "13812345678901234567890",
    "+1 234",  # too short for an international number
    "第010期",
]


@pytest.mark.parametrize(("text", "masked"), POSITIVES)
def test_phone_positives(text: str, masked: str) -> None:
    assert MASKER.mask_text(text) == (masked, ("phone",))


@pytest.mark.parametrize("text", NEGATIVES)
def test_phone_negatives(text: str) -> None:
    assert analyze(text) == []
    assert MASKER.mask_text(text) == (text, ())


@pytest.mark.parametrize(
    ("text", "recognizer"),
    [
        ("13812345678", "cn_mobile"),
        ("+86 138 1234 5678", "cn_mobile"),
        ("010-12345678", "cn_landline"),
        ("075587654321", "cn_landline_compact"),
        ("+44 20 7946 0958", "intl_phone"),
    ],
)
def test_phone_recognizer_and_span(text: str, recognizer: str) -> None:
    (match,) = analyze(f"电话{text}谢谢")
    assert (match.kind, match.recognizer, match.start, match.end) == ("phone", recognizer, 2, 2 + len(text))
