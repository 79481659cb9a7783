"""Column coercion: turn raw input values (strings, or native Parquet types) into typed columns.

Each function returns the typed values and a boolean mask of the cells that could not be parsed,
so the validator can reject exactly those rows with a reason. Everything is vectorised: ingest runs
over tens of millions of rows.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

TRUE = {"true", "t", "1", "1.0", "yes", "y", "是", "对", "已解决", "true.0"}
FALSE = {"false", "f", "0", "0.0", "no", "n", "否", "不", "未解决"}
_OFFSET = r"(?:z|[+-]\d{2}:?\d{2})$"
_HMS = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)\s*$")


@cache
def value_aliases() -> dict[str, dict[str, str]]:
    """Accepted spellings of coded values (``values.yaml``), lower-cased keys."""
    text = resources.files("csqm.ingest").joinpath("values.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    return {field: {str(k).lower(): str(v) for k, v in m.items()} for field, m in data.items()}


def _clean(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    return str(value)


def as_text(raw: pd.Series) -> pd.Series:
    """Strings with surrounding whitespace removed; empty and missing values become None."""
    # Fast path for the common case (a str); everything else goes through _clean.
    values = [(v.strip() or None) if type(v) is str else _clean(v) for v in raw.tolist()]
    return pd.Series(values, index=raw.index, dtype=object)


def as_number(raw: pd.Series, *, durations: bool = False) -> tuple[pd.Series, pd.Series]:
    """Floats; with ``durations`` also ``hh:mm:ss`` / ``mm:ss``. Returns (values, bad mask)."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        values = raw.astype("float64")
        return values, pd.Series(False, index=raw.index)
    text = as_text(raw)
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    if durations:
        pending = numbers.isna() & text.notna()
        if pending.any():
            numbers[pending] = text[pending].map(_hms_seconds)
    numbers = numbers.where(np.isfinite(numbers.fillna(0)), np.nan)
    return numbers, numbers.isna() & text.notna()


def _hms_seconds(value: str) -> float:
    match = _HMS.match(value)
    if not match:
        return float("nan")
    hours, minutes, seconds = match.groups()
    if hours is None:  # mm:ss
        return int(minutes) * 60 + float(seconds)
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def as_bool(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("boolean"), pd.Series(False, index=raw.index)
    text = as_text(raw).map(lambda v: v.lower() if isinstance(v, str) else v)
    mapped = text.map(lambda v: True if v in TRUE else (False if v in FALSE else None))
    return mapped.astype("boolean"), mapped.isna() & text.notna()


def as_code(
    raw: pd.Series, field: str, allowed: tuple[str, ...], extra: dict[str, str] | None = None
) -> tuple[pd.Series, pd.Series]:
    """Map coded values onto the allowed codes (case-insensitive, aliases from values.yaml)."""
    lookup = {a.lower(): a for a in allowed}
    lookup.update(value_aliases().get(field, {}))
    lookup.update({k.lower(): v for k, v in (extra or {}).items()})
    text = as_text(raw)
    # Codes repeat a lot: map each distinct value once, then spread the result.
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    mapped_uniques = np.array([lookup.get(str(u).lower()) for u in uniques] + [None], dtype=object)
    mapped = pd.Series(mapped_uniques[codes], index=raw.index, dtype=object)
    return mapped, mapped.isna() & text.notna()


def as_timestamp(raw: pd.Series, tz: str) -> tuple[pd.Series, pd.Series]:
    """UTC timestamps (naive). Naive input is in zone ``tz``; input with an offset is converted.

    Accepts ISO 8601 (with ``T`` or a space), ``YYYY/MM/DD``, ``YYYY年M月D日 H:MM`` and, value by value,
    anything else dateutil can read unambiguously (e.g. ``Tue Oct 31 22:10:47 +0000 2017``).
    """
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        series = pd.Series(raw)
        if series.dt.tz is None:
            series = series.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
        return series.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]"), pd.Series(
            False, index=raw.index
        )
    text = as_text(raw)
    norm = text.str.replace(r"[年月/.](?=\d)", "-", regex=True).str.replace("日", " ", regex=False)
    norm = norm.str.strip().str.replace(r"\s+", " ", regex=True)
    offset = norm.str.contains(_OFFSET, case=False, regex=True, na=False)
    parsed = pd.to_datetime(norm.where(norm.notna(), None), format="ISO8601", errors="coerce", utc=True)
    parsed = parsed.astype("datetime64[us, UTC]")
    retry = parsed.isna() & norm.notna()
    if retry.any():
        fallback = pd.to_datetime(norm[retry].map(_parse_one), utc=True, errors="coerce")
        parsed[retry] = fallback.astype("datetime64[us, UTC]")
        offset = offset | (retry & text.str.contains(r"[+-]\d{4}\b", regex=True, na=False))
    years = parsed.dt.year
    parsed = parsed.where((years >= 1900) & (years <= 2200))
    local = parsed.dt.tz_localize(None)
    naive = (~offset) & local.notna()
    if naive.any():
        shifted = local[naive].dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
        local[naive] = shifted.dt.tz_convert("UTC").dt.tz_localize(None)
    return local, local.isna() & text.notna()


def _parse_one(value: str) -> pd.Timestamp | None:
    from dateutil import parser

    try:
        stamp = parser.parse(value, dayfirst=False, yearfirst=True)
    except (ValueError, OverflowError):
        return None
    if not 1900 <= stamp.year <= 2200:
        return None
    if stamp.tzinfo is None:
        return pd.Timestamp(stamp).tz_localize("UTC")
    return pd.Timestamp(stamp).tz_convert("UTC")


def as_date(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Calendar dates (no zone conversion: a hire date is a local date)."""
    stamps, bad = as_timestamp(raw, "UTC")
    return stamps.dt.floor("D").astype("datetime64[us]"), bad
