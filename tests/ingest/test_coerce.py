"""Coercion of raw input values: numbers, durations, booleans, codes, timestamps in mixed formats."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from csqm.ingest import coerce


def _one(fn, value, *args):  # type: ignore[no-untyped-def]
    values, bad = fn(pd.Series([value], dtype=object), *args)
    return values.iloc[0], bool(bad.iloc[0])


@pytest.mark.parametrize(
    ("raw", "expected", "bad"),
    [
        ("12", 12.0, False),
        (" 3.5 ", 3.5, False),
        ("00:02:23", 143.0, False),
        ("2:05", 125.0, False),
        ("1:00:00.5", 3600.5, False),
        ("abc", None, True),
        ("12秒", None, True),
        ("inf", None, True),
        (None, None, False),
        ("", None, False),
    ],
)
def test_durations(raw: str | None, expected: float | None, bad: bool) -> None:
    value, is_bad = _one(lambda s: coerce.as_number(s, durations=True), raw)
    assert is_bad is bad
    if expected is None:
        assert value is None or math.isnan(value)
    else:
        assert value == expected


def test_plain_numbers_do_not_accept_clock_times() -> None:
    _, bad = _one(coerce.as_number, "00:02:23")
    assert bad


@pytest.mark.parametrize(
    ("raw", "expected", "bad"),
    [
        ("Y", True, False),
        ("n", False, False),
        ("是", True, False),
        ("否", False, False),
        ("TRUE", True, False),
        ("0", False, False),
        ("maybe", None, True),
        (None, None, False),
    ],
)
def test_booleans(raw: str | None, expected: bool | None, bad: bool) -> None:
    value, is_bad = _one(coerce.as_bool, raw)
    assert is_bad is bad
    assert (value is pd.NA and expected is None) or value == expected


@pytest.mark.parametrize(
    ("raw", "expected", "bad"),
    [
        ("Phone", "phone", False),
        ("电话", "phone", False),
        ("在线客服", "chat", False),
        ("WebChat", "chat", False),
        ("fax", None, True),
        ("", None, False),
    ],
)
def test_channel_codes(raw: str, expected: str | None, bad: bool) -> None:
    value, is_bad = _one(lambda s: coerce.as_code(s, "channel", ("phone", "chat", "email")), raw)
    assert (value, is_bad) == (expected, bad)


SHANGHAI = "Asia/Shanghai"


@pytest.mark.parametrize(
    ("raw", "utc"),
    [
        ("2026-01-05 09:30:00", "2026-01-05 01:30:00"),
        ("2026-01-05T09:30:00", "2026-01-05 01:30:00"),
        ("2026/01/05 09:30", "2026-01-05 01:30:00"),
        ("2026/1/5 9:30", "2026-01-05 01:30:00"),
        ("2026年1月5日 09:30:00", "2026-01-05 01:30:00"),
        ("2026-01-05T01:30:00Z", "2026-01-05 01:30:00"),
        ("2026-01-05T09:30:00+08:00", "2026-01-05 01:30:00"),
        ("2026-01-04T20:30:00-05:00", "2026-01-05 01:30:00"),
        ("Mon Jan 05 01:30:00 +0000 2026", "2026-01-05 01:30:00"),
        ("2026-01-05", "2026-01-04 16:00:00"),
        ("2026-01-01 07:59:59", "2025-12-31 23:59:59"),  # local new year's morning is UTC's old year
    ],
)
def test_timestamps_in_mixed_formats_become_utc(raw: str, utc: str) -> None:
    value, bad = _one(lambda s: coerce.as_timestamp(s, SHANGHAI), raw)
    assert not bad
    assert value == pd.Timestamp(utc)


def test_mixed_formats_in_one_column() -> None:
    raw = pd.Series(["2026-01-05 09:30:00", "2026/01/05 10:00", "2026年1月5日 11:00", "not a date", None])
    values, bad = coerce.as_timestamp(raw, SHANGHAI)
    assert bad.tolist() == [False, False, False, True, False]
    assert values.iloc[:3].dt.hour.tolist() == [1, 2, 3]


@pytest.mark.parametrize("raw", ["2026-13-01 00:00:00", "2026-02-30", "0001-01-01", "99:99"])
def test_impossible_dates_are_bad(raw: str) -> None:
    _, bad = _one(lambda s: coerce.as_timestamp(s, SHANGHAI), raw)
    assert bad


def test_native_parquet_timestamps_are_localised() -> None:
    raw = pd.Series(pd.to_datetime(["2026-01-05 09:30:00"]))
    values, bad = coerce.as_timestamp(raw, SHANGHAI)
    assert values.iloc[0] == pd.Timestamp("2026-01-05 01:30:00") and not bad.any()
