"""Checks that turn a regex candidate into a finding, referenced by name from pattern files.

A validator takes the matched text (separators included) and says whether it is real. Register your
own with :func:`register_validator` before loading a pattern file that names it (a plugin's module
does this on import, see :mod:`csqm.privacy.registry`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

Validator = Callable[[str], bool]

_VALIDATORS: dict[str, Validator] = {}
_NON_ID_CHARS = re.compile(r"[^0-9Xx]")
_NON_DIGITS = re.compile(r"[^0-9]")

#: ISO 7064 MOD 11-2 weights of the first 17 digits of a PRC resident ID number.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


def register_validator(name: str) -> Callable[[Validator], Validator]:
    """Decorator: make ``func`` available to pattern files as ``validator: <name>``."""

    def wrap(func: Validator) -> Validator:
        if name in _VALIDATORS and _VALIDATORS[name] is not func:
            raise ValueError(f"a PII validator named {name!r} is already registered")
        _VALIDATORS[name] = func
        return func

    return wrap


def get_validator(name: str) -> Validator:
    """The validator registered as ``name``; ``KeyError`` if there is none."""
    return _VALIDATORS[name]


def validator_names() -> tuple[str, ...]:
    """Names of all registered validators, sorted."""
    return tuple(sorted(_VALIDATORS))


def digits_of(value: str) -> str:
    """Only the ASCII digits of ``value``."""
    return _NON_DIGITS.sub("", value)


def luhn_ok(digits: str) -> bool:
    """Whether a digit string passes the Luhn (mod 10) check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character ('0'-'9' or 'X') for the first 17 ID digits."""
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def birth_date_ok(yyyymmdd: str, today: dt.date | None = None) -> bool:
    """Whether ``yyyymmdd`` is a real date between 1900-01-01 and today."""
    try:
        born = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= (today or dt.date.today())


def _id18(value: str) -> str | None:
    compact = _NON_ID_CHARS.sub("", value).upper()
    if len(compact) != 18 or not compact[:17].isdigit() or compact[0] == "0":
        return None
    return compact


@register_validator("luhn")
def luhn(value: str) -> bool:
    """13-19 digits passing the Luhn check (bank cards)."""
    digits = digits_of(value)
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


@register_validator("prc_id")
def prc_id(value: str) -> bool:
    """An 18-character PRC resident ID: region code 1-9…, valid birth date, correct check character."""
    compact = _id18(value)
    return compact is not None and birth_date_ok(compact[6:14]) and id_check_char(compact[:17]) == compact[17]


@register_validator("prc_id_shape")
def prc_id_shape(value: str) -> bool:
    """ID-shaped: 18 characters with region code and valid birth date, check character NOT verified."""
    compact = _id18(value)
    return compact is not None and birth_date_ok(compact[6:14])


@register_validator("prc_id_15")
def prc_id_15(value: str) -> bool:
    """An old 15-digit PRC ID: region code 1-9…, valid birth date 19YYMMDD."""
    digits = digits_of(value)
    return len(digits) == 15 and digits[0] != "0" and birth_date_ok("19" + digits[6:12])
