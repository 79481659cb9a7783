"""Identity values (phone, e-mail, WeChat openid, member id, social handle, CRM id): canonical forms.

The same person must get the same pseudonym whichever channel or format a value comes in, so the
pseudonym is computed from a normalised value: ``'+86 138-1234-5678'`` and ``'13812345678'`` are
one phone, ``' Zhang@QQ.com'`` and ``'zhang@qq.com'`` one e-mail. Phones are digits only: Chinese
numbers in national form (``+86 10 1234 5678`` is ``01012345678``), other countries' numbers with
their ``00`` international prefix (``+44 20 7946 0958`` is ``00442079460958``), so a foreign number
never collides with a Chinese one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from csqm.privacy.display import MOBILE, mask_bank_card, mask_email, mask_id_card, mask_phone, mask_token
from csqm.privacy.validators import digits_of

#: Identity kinds that :func:`normalise_identity` knows (the store's kinds plus two document kinds).
IDENTITY_KINDS = ("phone", "email", "wechat", "member_id", "social_handle", "crm_id", "id_card", "bank_card")

_PHONE_CHARS = re.compile(r"\+?[0-9 ()./-]+")
_CN_MOBILE_PREFIXED = re.compile(r"(?:0086|86)(1[3-9][0-9]{9})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ID_CARD = re.compile(r"[0-9]{17}[0-9X]|[0-9]{15}")
_SEPARATORS = re.compile(r"[ -]")


def _phone(value: str) -> str | None:
    """Chinese numbers in national form, other countries' as ``00`` + country code + number."""
    if not _PHONE_CHARS.fullmatch(value):
        return None
    digits = digits_of(value)
    if value.startswith("+") or digits.startswith("00"):
        digits = "00" + digits.removeprefix("00")
        if digits.startswith("0086") and len(digits) > 8:
            national = digits[4:]
            digits = national if MOBILE.fullmatch(national) else "0" + national.removeprefix("0")
    mobile = _CN_MOBILE_PREFIXED.fullmatch(digits)
    if mobile:
        return mobile.group(1)
    return digits if 3 <= len(digits) <= 17 else None


def _email(value: str) -> str | None:
    value = value.lower()
    return value if _EMAIL.fullmatch(value) else None


def _social(value: str) -> str | None:
    return value.lstrip("@").strip().lower() or None


def _id_card(value: str) -> str | None:
    compact = _SEPARATORS.sub("", value).upper()
    return compact if _ID_CARD.fullmatch(compact) else None


def _bank_card(value: str) -> str | None:
    compact = _SEPARATORS.sub("", value)
    return compact if compact.isascii() and compact.isdigit() and 12 <= len(compact) <= 19 else None


def _plain(value: str) -> str | None:
    return value or None


_NORMALISERS: dict[str, Callable[[str], str | None]] = {
    "phone": _phone,
    "email": _email,
    "wechat": _plain,
    "member_id": _plain,
    "social_handle": _social,
    "crm_id": _plain,
    "id_card": _id_card,
    "bank_card": _bank_card,
}


def normalise_identity(kind: str, value: str) -> str | None:
    """Canonical form of ``value`` as a ``kind``, or ``None`` if empty or clearly not that kind.

    Raises ``ValueError`` for a kind it does not know.
    """
    try:
        normaliser = _NORMALISERS[kind]
    except KeyError:
        raise ValueError(f"unknown identity kind {kind!r} (known: {', '.join(IDENTITY_KINDS)})") from None
    stripped = value.strip() if isinstance(value, str) else ""
    return normaliser(stripped) if stripped else None


def identity_display(kind: str, raw: str, normalised: str) -> str:
    """Display mask of an identity value (phone masks look at ``raw`` to keep the country code)."""
    if kind == "phone":
        return mask_phone(raw)
    if kind == "email":
        return mask_email(normalised)
    if kind == "id_card":
        return mask_id_card(normalised)
    if kind == "bank_card":
        return mask_bank_card(normalised)
    return mask_token(normalised)
