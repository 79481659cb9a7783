"""Display masks: what a piece of personal data looks like once masked (``138****5678``).

Masks keep a few characters so people can still tell values apart, never enough to recover them,
and never form a value the recognizers would find again. Plugins can add masks for their own kinds
with :func:`register_display_mask`; other kinds get :func:`mask_token`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from csqm.privacy.validators import digits_of

DisplayMask = Callable[[str], str]

MOBILE = re.compile(r"1[3-9][0-9]{9}")
_CN_PREFIX = re.compile(r"(?:0086|86)(1[3-9][0-9]{9})")
_LEADING_GROUP = re.compile(r"\(?([0-9]+)\)?[ -]")
_ID_CHARS = re.compile(r"[^0-9Xx]")

#: ITU country calling codes of one and two digits; all others have three.
_CC_1 = frozenset({"1", "7"})
_CC_2 = frozenset(
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 "  # noqa: SIM905
    "66 81 82 84 86 90 91 92 93 94 95 98".split()
)


def mask_token(value: str) -> str:
    """Generic mask: first 2 + ``***`` + last 2; values of 6 characters or fewer fully starred."""
    value = value.strip()
    if len(value) <= 6:
        return "*" * len(value)
    return f"{value[:2]}***{value[-2:]}"


def national_mobile(digits: str) -> str | None:
    """The 11-digit mobile number if ``digits`` is one, with or without a 86/0086 prefix."""
    if MOBILE.fullmatch(digits):
        return digits
    prefixed = _CN_PREFIX.fullmatch(digits)
    return prefixed.group(1) if prefixed else None


def country_code(value: str) -> str:
    """The calling code of an international number written ``+CC …`` or ``00CC…``."""
    body = value.strip().removeprefix("+")
    if body.startswith("00"):
        body = body[2:]
    group = _LEADING_GROUP.match(body)
    if group and len(group.group(1)) <= 3 and not body.startswith("("):
        return group.group(1)
    digits = digits_of(body)
    if digits[:1] in _CC_1:
        return digits[:1]
    return digits[:2] if digits[:2] in _CC_2 else digits[:3]


def landline_area(value: str, digits: str) -> str:
    """The area code (with leading 0) of a Chinese landline."""
    group = _LEADING_GROUP.match(value.strip())
    if group and group.group(1).startswith("0") and len(group.group(1)) <= 4:
        return group.group(1)
    return digits[:3] if digits[:2] in {"01", "02"} else digits[:4]


def mask_phone(value: str) -> str:
    """``138****5678`` (mobiles), ``010-****5678`` (landlines), ``+44 ****0958`` (international)."""
    raw = value.strip()
    digits = digits_of(raw)
    international = raw.startswith("+") or digits.startswith("00")
    mobile = national_mobile(digits)
    if mobile is not None and (len(mobile) < len(digits) or not international):
        return f"{mobile[:3]}****{mobile[-4:]}"
    if international:
        return f"+{country_code(raw)} ****{digits[-4:]}"
    if digits.startswith("0") and len(digits) >= 10:
        return f"{landline_area(raw, digits)}-****{digits[-4:]}"
    if len(digits) >= 8:
        return f"****{digits[-4:]}"
    return "*" * len(digits) if digits else mask_token(raw)


def mask_id_card(value: str) -> str:
    """First 3 + stars + last 4, length of the bare ID kept: ``110***********123X``."""
    compact = _ID_CHARS.sub("", value).upper()
    if len(compact) < 10:
        return "*" * len(compact)
    return compact[:3] + "*" * (len(compact) - 7) + compact[-4:]


def mask_bank_card(value: str) -> str:
    """First 4 + stars + last 4, separators dropped: ``6222********1234``."""
    digits = digits_of(value)
    if len(digits) < 12:
        return "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def mask_email(value: str) -> str:
    """First character of the local part + ``***@`` + domain: ``z***@qq.com``."""
    local, at, domain = value.strip().rpartition("@")
    if not at:
        return mask_token(value)
    return f"{local[:1]}***@{domain}"


_DISPLAY: dict[str, DisplayMask] = {
    "phone": mask_phone,
    "id_card": mask_id_card,
    "bank_card": mask_bank_card,
    "email": mask_email,
}


def register_display_mask(kind: str, mask: DisplayMask) -> None:
    """Use ``mask`` for findings of ``kind`` (a plugin's own kind, or to override a built-in)."""
    _DISPLAY[kind] = mask


def display_mask(kind: str, value: str) -> str:
    """The display form of ``value``, a piece of free text found to be ``kind``."""
    return _DISPLAY.get(kind, mask_token)(value)
