"""Synthetic personal identifiers with real checksums, generated vectorised.

- PRC resident ID numbers: 6-digit area code, birth date, 3-digit sequence, ISO 7064 MOD 11-2 check
  character (``0``-``9`` or ``X``).
- Bank cards: 16 digits from a UnionPay BIN, Luhn check digit.
- Mobile numbers: a real 3-digit prefix and 8 digits that are unique per customer.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from csqm.generate.textkit import join, num, take

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = np.array(list("10X98765432"))


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) matrix of the decimal digits of non-negative integers, most significant first."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (np.asarray(values, dtype=np.int64)[:, None] // powers) % 10


def id_check(first17: np.ndarray) -> np.ndarray:
    """Check characters for an (n, 17) digit matrix."""
    return ID_CHECK[(first17 @ ID_WEIGHTS) % 11]


def id_numbers(area: np.ndarray, rng: np.random.Generator, today: date) -> pa.Array:
    """18-character ID numbers for people aged 18-70 living in ``area`` (6-digit codes)."""
    n = len(area)
    epoch = np.datetime64(today.isoformat()) - np.timedelta64(18 * 365, "D")
    born = epoch - rng.integers(0, 52 * 365, n).astype("timedelta64[D]")
    month = born.astype("datetime64[M]")
    year = born.astype("datetime64[Y]").astype(np.int64) + 1970
    day = (born - month).astype(np.int64) + 1
    birth = year * 10_000 + (month.astype(np.int64) % 12 + 1) * 100 + day
    seq = rng.integers(1, 1000, n)
    first17 = np.concatenate([digits(area, 6), digits(birth, 8), digits(seq, 3)], axis=1)
    body = (area * 10**11) + birth * 1000 + seq
    return join(num(body, 17), pa.array(id_check(first17)))


def luhn_digit(body: np.ndarray) -> np.ndarray:
    """Luhn check digit for an (n, k) digit matrix (the digit appended at the right)."""
    rev = body[:, ::-1]
    doubled = rev[:, 0::2] * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = doubled.sum(axis=1) + rev[:, 1::2].sum(axis=1)
    return np.asarray((10 - total % 10) % 10, dtype=np.int64)


def bank_cards(bins: list[str], rng: np.random.Generator, n: int) -> pa.Array:
    """16-digit card numbers that pass the Luhn check."""
    bin_codes = np.array([int(b) for b in bins], dtype=np.int64)[rng.integers(0, len(bins), n)]
    account = rng.integers(0, 10**9, n)
    body = bin_codes * 10**9 + account  # 15 digits
    check = luhn_digit(digits(body, 15))
    return num(body * 10 + check, 16)


def mobiles(prefixes: list[int], index: np.ndarray, salt: int) -> pa.Array:
    """Unique 11-digit mobile numbers: the last 8 digits are a bijection of ``index`` (< 10**8)."""
    pre = np.array(prefixes, dtype=np.int64)[(index * 7 + salt) % len(prefixes)]
    tail = (index * 48_271 + salt * 7_919 + 12_345) % 10**8
    return num(pre * 10**8 + tail, 11)


def spaced(values: pa.Array, groups: tuple[int, ...]) -> pa.Array:
    """Digit strings regrouped with spaces, e.g. ``138 1234 5678`` for groups (3, 4, 4)."""
    import pyarrow.compute as pc

    parts: list[pa.Array | str] = []
    pos = 0
    for i, width in enumerate(groups):
        if i:
            parts.append(" ")
        part = pc.utf8_slice_codeunits(values, start=pos, stop=pos + width)
        parts.append(part.combine_chunks() if isinstance(part, pa.ChunkedArray) else part)
        pos += width
    return join(*parts)


def pick_strings(options: list[str], rng: np.random.Generator, n: int, p: np.ndarray | None = None) -> pa.Array:
    """``n`` strings drawn from ``options``."""
    return take(pa.array(options, type=pa.string()), rng.choice(len(options), size=n, p=p))
