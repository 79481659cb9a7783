"""Workforce KPIs (M5) on a hand-made fixture, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from csqm.metrics import MetricQueryError, compute_metrics
from csqm.store import Store
from tests.metrics.helpers import Row, assert_values, by_metric, d, load, values

TEAMS = [
    {"team_id": "T1", "centre_id": "SH", "business_line": "ToC"},
    {"team_id": "T2", "centre_id": "CD", "business_line": "ToB"},
]
AGENTS = [
    {"agent_id": "A1", "team_id": "T1", "hired_on": d("2025-01-01")},
    {"agent_id": "A2", "team_id": "T1", "hired_on": d("2025-06-01"), "left_on": d("2026-02-15")},
    {"agent_id": "A3", "team_id": "T2", "hired_on": d("2026-02-10"), "left_on": d("2026-03-05")},
    {"agent_id": "A4", "team_id": "T2", "hired_on": d("2026-04-01")},  # not yet hired in Q1
    {"agent_id": "A5", "team_id": "T2", "hired_on": d("2024-01-01"), "left_on": d("2025-12-31")},  # gone
]

DAY = datetime(2026, 3, 2)  # UTC; 09:00–14:00 in Shanghai


def at(hour: float) -> datetime:
    return DAY + timedelta(hours=hour)


def state(name: str, start: float, end: float) -> Row:
    return {"agent_id": "A1", "state": name, "started_at": at(start), "ended_at": at(end)}


STATES = [
    state("available", 1, 2),  # 3600
    state("on_call", 2, 3),  # 3600
    state("acw", 3, 3.5),  # 1800
    state("break", 3.5, 4),  # 1800
    state("on_call", 4, 5),  # 3600
    state("offline", 5, 6),  # 3600
]


def planned(activity: str, start: float, end: float) -> Row:
    return {"agent_id": "A1", "activity": activity, "starts_at": at(start), "ends_at": at(end)}


SCHEDULES = [
    planned("work", 1, 3.5),  # 9000 s, all in available / on_call / acw
    planned("break", 3.5, 4),  # 1800 s on break
    planned("work", 4, 5.5),  # 5400 s: on call 3600, then offline
]

EXPECTED: dict[str, float | None] = {
    "occupancy": 100 * (3600 + 1800 + 3600) / (3600 + 3600 + 1800 + 3600),
    "utilisation": 100 * (3600 + 1800 + 3600) / (3600 + 3600 + 1800 + 1800 + 3600),
    "schedule_adherence": 100 * (9000 + 1800 + 3600) / (9000 + 1800 + 5400),
    "schedule_conformance": 100 * (3600 + 3600 + 1800 + 3600) / (9000 + 5400),
}


@pytest.fixture
def loaded(store: Store) -> Store:
    load(store, {"teams": TEAMS, "agents": AGENTS, "agent_states": STATES, "schedules": SCHEDULES})
    return store


def test_every_workforce_metric_matches_the_hand_computed_value(loaded: Store) -> None:
    assert_values(by_metric(compute_metrics(loaded, list(EXPECTED))), EXPECTED)


def test_workforce_metrics_reach_team_centre_and_business_line_through_the_agent(loaded: Store) -> None:
    frame = compute_metrics(loaded, ["occupancy"], by=["centre", "business_line"])
    assert list(zip(frame["centre"], frame["business_line"], strict=True)) == [("SH", "ToC")]


def test_attrition_per_month(loaded: Store) -> None:
    frame = compute_metrics(loaded, ["attrition"], grain="month", start=d("2026-01-01"), end=d("2026-03-31"))
    assert values(frame, "period") == {
        d("2026-01-01"): 0.0,  # A1 A2 employed, nobody left
        d("2026-02-01"): pytest.approx(100 / 3),  # A1 A2 A3; A2 left
        d("2026-03-01"): pytest.approx(100 / 2),  # A1 A3; A3 left
    }


def test_attrition_over_a_range(loaded: Store) -> None:
    frame = compute_metrics(loaded, ["attrition"], start=d("2026-01-01"), end=d("2026-03-31"))
    assert (frame.at[0, "numerator"], frame.at[0, "denominator"]) == (2, 3)


def test_attrition_by_month_needs_a_range(loaded: Store) -> None:
    with pytest.raises(MetricQueryError, match="date range"):
        compute_metrics(loaded, ["attrition"], grain="month")


def test_workforce_metrics_cannot_be_broken_down_by_channel(loaded: Store) -> None:
    with pytest.raises(MetricQueryError, match="occupancy cannot be broken down or filtered by channel"):
        compute_metrics(loaded, ["occupancy"], by=["channel"])


def test_attrition_of_one_team(loaded: Store) -> None:
    frame = compute_metrics(loaded, ["attrition"], where="team=T2", start=d("2026-01-01"), end=d("2026-03-31"))
    assert (frame.at[0, "numerator"], frame.at[0, "denominator"]) == (1, 1)  # A3 (A4 not hired, A5 gone)
