"""E-mail addresses, also glued to Chinese text."""

from __future__ import annotations

import pytest

from csqm.privacy import Masker, analyze

MASKER = Masker(b"test-secret-0123456789")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("邮箱是x@y.com谢谢", "邮箱是x***@y.com谢谢"),
        ("zhangsan@qq.com", "z***@qq.com"),
        ("发到abc_123@163.com，谢谢", "发到a***@163.com，谢谢"),
        ("Email: John.Doe@Example.COM.", "Email: J***@Example.COM."),
        ("mail zhang.san+cs@mail.example.com.cn now", "mail z***@mail.example.com.cn now"),
        ("联系first-last@sub-domain.io或电话", "联系f***@sub-domain.io或电话"),
        ("邮箱：ｚｈａｎｇ＠ｑｑ．ｃｏｍ", "邮箱：z***@qq.com"),  # full-width
        ("a@b.co和c@d.org", "a***@b.co和c***@d.org"),
        ("13812345678@qq.com", "1***@qq.com"),  # the longer e-mail wins over the phone inside
    ],
)
def test_email_positives(text: str, masked: str) -> None:
    assert MASKER.mask_text(text) == (masked, ("email",))


@pytest.mark.parametrize(
    "text",
    ["user@localhost", "@username 你好", "价格@5元", "a@b", "x@y.c", "邮箱@qq.com", "z***@qq.com"],
)
def test_email_negatives(text: str) -> None:
    assert analyze(text) == []


def test_email_span() -> None:
    (match,) = analyze("邮箱是x@y.com谢谢")
    assert (match.kind, match.start, match.end, match.recognizer) == ("email", 3, 10, "email")
