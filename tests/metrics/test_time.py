"""Periods in the reporting zone: day, week, month, quarter and hour boundaries, and ranges.

The store holds naive UTC; Shanghai is UTC+8, so 16:00 UTC is already the next local day.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from csqm.metrics import compute_metrics
from csqm.store import Store
from tests.metrics.helpers import d, load, ts

OFFERED = [
    "2026-03-01 15:59",  # Sunday 23:59 in Shanghai → week of 23 Feb, day 1 Mar
    "2026-03-01 16:00",  # Monday 00:00 in Shanghai → week of 2 Mar (still Sunday in UTC)
    "2026-03-31 17:00",  # 1 April 01:00 in Shanghai → April, Q2
    "2026-03-07 04:30",  # New York: 6 Mar 23:30 (EST, UTC−5)
    "2026-03-09 03:30",  # New York: 8 Mar 23:30 (EDT, UTC−4, after the switch on 8 Mar)
]


@pytest.fixture
def loaded(store: Store) -> Store:
    rows = [
        {
            "interaction_id": f"i{n}",
            "channel": "phone",
            "direction": "inbound",
            "offered_at": ts(t),
            "answered_at": ts(t),
        }
        for n, t in enumerate(OFFERED)
    ]
    load(store, {"interactions": rows})
    return store


def counts(frame: pd.DataFrame) -> dict[date, int]:
    return {pd.Timestamp(p).date(): int(n) for p, n in zip(frame["period"], frame["denominator"], strict=True)}


@pytest.mark.parametrize(
    ("grain", "expected"),
    [
        ("day", {d("2026-03-01"): 1, d("2026-03-02"): 1, d("2026-03-07"): 1, d("2026-03-09"): 1, d("2026-04-01"): 1}),
        ("week", {d("2026-02-23"): 1, d("2026-03-02"): 2, d("2026-03-09"): 1, d("2026-03-30"): 1}),
        ("month", {d("2026-03-01"): 4, d("2026-04-01"): 1}),
        ("quarter", {d("2026-01-01"): 4, d("2026-04-01"): 1}),
    ],
)
def test_periods_are_local_to_shanghai(loaded: Store, grain: str, expected: dict[date, int]) -> None:
    assert counts(compute_metrics(loaded, ["answer_rate"], grain=grain)) == expected


def test_the_same_rows_in_utc_weeks(loaded: Store) -> None:
    frame = compute_metrics(loaded, ["answer_rate"], grain="week", timezone="UTC")
    assert counts(frame) == {d("2026-02-23"): 2, d("2026-03-02"): 1, d("2026-03-09"): 1, d("2026-03-30"): 1}


def test_hour_grain(loaded: Store) -> None:
    frame = compute_metrics(loaded, ["answer_rate"], grain="hour", start=d("2026-03-02"), end=d("2026-03-02"))
    assert list(frame["period"]) == [pd.Timestamp("2026-03-02 00:00")]


def test_a_range_is_local_dates_inclusive(loaded: Store) -> None:
    frame = compute_metrics(loaded, ["answer_rate"], start=d("2026-03-02"), end=d("2026-03-31"))
    assert frame.at[0, "denominator"] == 3  # 16:00 UTC 1 Mar … 16:00 UTC 31 Mar: not 15:59, not 17:00 on 31 Mar


def test_a_zone_with_daylight_saving_time(loaded: Store) -> None:
    frame = compute_metrics(
        loaded, ["answer_rate"], grain="day", start=d("2026-03-06"), end=d("2026-03-08"), timezone="America/New_York"
    )
    assert counts(frame) == {d("2026-03-06"): 1, d("2026-03-08"): 1}


def test_an_unknown_zone_is_a_clear_error(loaded: Store) -> None:
    from csqm.metrics import MetricQueryError

    with pytest.raises(MetricQueryError, match="Unknown time zone 'Mars/Olympus'"):
        compute_metrics(loaded, ["answer_rate"], timezone="Mars/Olympus")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (None, date(9999, 12, 31), "end date 9999-12-31 is outside 1900-01-01 … 9998-12-31"),
        (date(1, 1, 1), None, "start date 0001-01-01 is outside"),
        (date(2026, 2, 2), date(2026, 1, 1), "end date 2026-01-01 is before the start date 2026-02-02"),
    ],
)
def test_dates_the_calendar_cannot_take_are_clear_errors(
    loaded: Store, start: date | None, end: date | None, message: str
) -> None:
    from csqm.metrics import MetricQueryError

    with pytest.raises(MetricQueryError, match=message):
        compute_metrics(loaded, ["answer_rate"], start=start, end=end, grain="day")


def test_the_last_representable_day_still_answers(loaded: Store) -> None:
    frame = compute_metrics(loaded, ["answer_rate"], start=date(2026, 1, 1), end=date(9998, 12, 31))
    assert len(frame) == 1
