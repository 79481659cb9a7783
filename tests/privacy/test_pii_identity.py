"""Identity values: normalisation, pseudonyms, display masks, keep_raw; names and addresses."""

from __future__ import annotations

import re

import pytest

from csqm.privacy import MaskedIdentity, Masker

SECRET = b"test-secret-0123456789"
MASKER = Masker(SECRET)


@pytest.mark.parametrize(
    ("kind", "value", "normalised"),
    [
        ("phone", "13812345678", "13812345678"),
        ("phone", "+86 138-1234-5678", "13812345678"),
        ("phone", "0086 138 1234 5678", "13812345678"),
        ("phone", "8613812345678", "13812345678"),
        ("phone", " (138) 1234.5678 ", "13812345678"),
        ("phone", "010-12345678", "01012345678"),
        ("phone", "+86 10 1234 5678", "01012345678"),
        ("phone", "+44 20 7946 0958", "00442079460958"),
        ("phone", "0044 20 7946 0958", "00442079460958"),
        ("phone", "+1-415-555-0132", "0014155550132"),
        ("phone", "138abc45678", None),
        ("phone", "tel:13812345678", None),
        ("phone", "12", None),
        ("phone", "   ", None),
        ("email", " Zhang.San@QQ.com ", "zhang.san@qq.com"),
        ("email", "zhang.qq.com", None),
        ("email", "zhang@qq", None),
        ("email", "", None),
        ("wechat", " wxid_AbC123 ", "wxid_AbC123"),
        ("member_id", "M0001", "M0001"),
        ("crm_id", " CRM-77 ", "CRM-77"),
        ("crm_id", "  ", None),
        ("social_handle", " @ZhangSan ", "zhangsan"),
        ("social_handle", "@", None),
        ("id_card", "11010119900307451x", "11010119900307451X"),
        ("bank_card", "6222 0212 3456 7890", "6222021234567890"),
    ],
)
def test_normalise(kind: str, value: str, normalised: str | None) -> None:
    assert MASKER.normalise(kind, value) == normalised


def test_normalise_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown identity kind"):
        MASKER.normalise("passport", "E12345678")


@pytest.mark.parametrize(
    ("kind", "a", "b"),
    [
        ("phone", "+86 138-1234-5678", "13812345678"),
        ("phone", "0086 13812345678", "138 1234 5678"),
        ("phone", "+44 20 7946 0958", "0044-20-7946-0958"),
        ("email", "Zhang@QQ.com", " zhang@qq.com"),
        ("social_handle", "@Zhang", "zhang"),
    ],
)
def test_same_person_same_pseudonym(kind: str, a: str, b: str) -> None:
    assert MASKER.pseudonym(kind, a) == MASKER.pseudonym(kind, b)


def test_pseudonym_is_keyed_hmac() -> None:
    pseudonym = MASKER.pseudonym("phone", "13812345678")
    assert re.fullmatch(r"[0-9a-f]{64}", pseudonym)
    assert Masker(b"another-secret-0123456789").pseudonym("phone", "13812345678") != pseudonym
    assert MASKER.pseudonym("member_id", "13812345678") != pseudonym  # the kind is part of the key
    assert MASKER.pseudonym("phone", "13812345679") != pseudonym
    assert MASKER.pseudonym("phone", "+1 415 555 0132") != MASKER.pseudonym("phone", "14155550132")


def test_pseudonym_of_invalid_value_raises_without_raw_value() -> None:
    with pytest.raises(ValueError) as info:
        MASKER.pseudonym("email", "zhangsan-at-qq.com 13812345678")
    assert "13812345678" not in str(info.value)


@pytest.mark.parametrize(
    ("kind", "value", "display"),
    [
        ("phone", "13812345678", "138****5678"),
        ("phone", "+86 138-1234-5678", "138****5678"),
        ("phone", "010-12345678", "010-****5678"),
        ("phone", "075587654321", "0755-****4321"),
        ("phone", "+44 20 7946 0958", "+44 ****0958"),
        ("phone", "+1-415-555-0132", "+1 ****0132"),
        ("email", "Zhang@QQ.com", "z***@qq.com"),
        ("wechat", "wxid_abcdefg123", "wx***23"),
        ("member_id", "M00012345", "M0***45"),
        ("social_handle", "@ZhangSan88", "zh***88"),
        ("crm_id", "C123", "****"),  # short values fully starred
        ("crm_id", "C12345", "******"),
        ("id_card", "110101199003074514", "110***********4514"),
        ("bank_card", "6222021234567890", "6222********7890"),
    ],
)
def test_mask_identity_display(kind: str, value: str, display: str) -> None:
    masked = MASKER.mask_identity(kind, value)
    assert masked is not None
    assert (masked.kind, masked.display, masked.raw) == (kind, display, None)
    assert masked.pseudonym == MASKER.pseudonym(kind, value)


def test_mask_identity_invalid_is_none() -> None:
    assert MASKER.mask_identity("phone", "not a phone") is None
    assert MASKER.mask_identity("email", "   ") is None


def test_keep_raw_keeps_the_normalised_value() -> None:
    keeper = Masker(SECRET, keep_raw=True)
    assert keeper.mask_identity("phone", "+86 138-1234-5678") == MaskedIdentity(
        "phone", "138****5678", MASKER.pseudonym("phone", "13812345678"), "13812345678"
    )
    assert keeper.mask_identity("email", " A@B.com").raw == "a@b.com"  # type: ignore[union-attr]


def test_masker_needs_a_secret_and_hides_it() -> None:
    with pytest.raises(ValueError):
        Masker(b"")
    assert "secret" not in repr(MASKER) and SECRET.decode() not in repr(MASKER)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("李小龙", "李**"),
        ("欧阳娜娜", "欧阳**"),
        ("司马相如", "司马**"),
        ("欧阳", "欧*"),  # a compound surname alone keeps one character
        ("王", "*"),
        ("John Smith", "J*** S****"),
        ("  Mary  ", "M***"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_name(name: str | None, masked: str | None) -> None:
    assert MASKER.mask_name(name) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("广东省深圳市南山区科技园路1号", "广东省深圳市南山区****"),
        ("广东省深圳市南山区", "广东省深圳市南山区****"),
        ("北京市朝阳区建国路88号SOHO现代城", "北京市朝阳区****"),
        ("上海市浦东新区世纪大道100号", "上海市浦东新区****"),
        ("新疆维吾尔自治区乌鲁木齐市天山区解放路", "新疆维吾尔自治区乌鲁木齐市天山区****"),
        ("浙江省杭州市余杭区文一西路969号", "浙江省杭州市余杭区****"),
        ("江苏省昆山县玉山镇", "江苏省昆山县****"),
        ("科技园路1号3栋502", "科技园路1****"),
        ("221B Baker Street, London", "221B B****"),
        ("Room 5", "Roo****"),
        (None, None),
    ],
)
def test_mask_address(address: str | None, masked: str | None) -> None:
    assert MASKER.mask_address(address) == masked
