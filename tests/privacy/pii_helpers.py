"""Test helpers: real PRC ID numbers and Luhn-valid card numbers, computed here (not memorised)."""

from __future__ import annotations

WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, ...
CHECK = "10X98765432"


def id_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a PRC resident ID."""
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def luhn_ok(digits: str) -> bool:
    """Luhn check, written independently of csqm.privacy."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d // 10 + d % 10
    return total % 10 == 0


def luhn_complete(prefix: str) -> str:
    """``prefix`` plus the digit that makes it pass Luhn."""
    return next(prefix + d for d in "0123456789" if luhn_ok(prefix + d))


def luhn_break(digits: str) -> str:
    """``digits`` with the last digit changed so that Luhn fails."""
    return next(digits[:-1] + d for d in "0123456789" if not luhn_ok(digits[:-1] + d))


def make_id(region: str = "110101", birth: str = "19900307", seq: str = "451") -> str:
    """A valid 18-character ID."""
    body = region + birth + seq
    return body + id_check(body)


def id_with_check(check: str, region: str = "440305", birth: str = "19851122") -> str:
    """A valid ID whose check character is ``check`` (searching the sequence number)."""
    for n in range(1000):
        candidate = make_id(region, birth, f"{n:03d}")
        if candidate[-1] == check:
            return candidate
    raise AssertionError(check)


def valid_id_luhn(luhn: bool, region: str = "310115", birth: str = "20010611") -> str:
    """A valid all-digit ID that passes (or fails) Luhn as asked."""
    for n in range(1000):
        candidate = make_id(region, birth, f"{n:03d}")
        if candidate[-1] != "X" and luhn_ok(candidate) == luhn:
            return candidate
    raise AssertionError(luhn)


def bad_check_id(luhn: bool, region: str = "110101", birth: str = "19900307", seq: str = "451") -> str:
    """An ID-shaped 18-digit number with a WRONG check digit that passes (or fails) Luhn as asked."""
    good = make_id(region, birth, seq)
    for d in "0123456789":
        candidate = good[:17] + d
        if candidate != good and luhn_ok(candidate) == luhn:
            return candidate
    raise AssertionError(luhn)


def old_id(luhn: bool = False, region: str = "110101", birth: str = "900307") -> str:
    """A 15-digit old-style ID (valid date 19YYMMDD) that passes (or fails) Luhn as asked."""
    for n in range(1000):
        candidate = f"{region}{birth}{n:03d}"
        if luhn_ok(candidate) == luhn:
            return candidate
    raise AssertionError(luhn)


def mobile_luhn(luhn: bool, with_86: bool = True) -> str:
    """A mobile number whose digits (with the 86 prefix if asked) pass (or fail) Luhn."""
    for n in range(10000):
        mobile = f"1391234{n:04d}"
        digits = ("86" if with_86 else "") + mobile
        if luhn_ok(digits) == luhn:
            return mobile
    raise AssertionError(luhn)
