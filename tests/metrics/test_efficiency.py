"""Efficiency KPIs (M2) on a hand-made fixture, on DuckDB and PostgreSQL.

Every expected value is worked out by hand in the comments next to the rows.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from csqm.metrics import compute_metrics
from csqm.store import Store
from tests.metrics.helpers import Row, assert_values, by_metric, d, load, one, ts, with_params

T0 = ts("2026-03-02 02:00")  # Monday 10:00 in Shanghai


def contact(
    iid: str, channel: str = "phone", *, wait: float | None = None, abandon_after: float | None = None, **extra: object
) -> Row:
    """A contact offered at T0, answered after ``wait`` s or abandoned after ``abandon_after`` s."""
    row: Row = {"interaction_id": iid, "channel": channel, "direction": "inbound", "team_id": "T1", "offered_at": T0}
    if wait is not None:
        row["answered_at"] = T0 + timedelta(seconds=wait)
        row["ended_at"] = T0 + timedelta(seconds=wait + 600)
        row["abandoned"] = False
    if abandon_after is not None:
        row["abandoned"] = True
        row["ended_at"] = T0 + timedelta(seconds=abandon_after)
    row.update(extra)
    return row


INTERACTIONS = [
    # phone, inbound
    contact("p1", wait=10, talk_seconds=100, hold_seconds=20, acw_seconds=30, transfers=0),  # handle 150
    contact("p2", wait=20, talk_seconds=200, acw_seconds=40, transfers=1),  # handle 240, exactly Y=20
    contact("p3", wait=40, talk_seconds=300, hold_seconds=0, acw_seconds=0, transfers=0),  # handle 300
    contact("p4", abandon_after=3),  # short abandon (< 5 s)
    contact("p5", abandon_after=60),
    contact("p6", abandoned=True),  # abandoned, hang-up time unknown: not a short abandon
    contact("p7", wait=5, direction="outbound", talk_seconds=999, transfers=3),  # outbound: ignored
    # online
    contact(
        "c1", "chat", wait=5, first_response_seconds=20, talk_seconds=600, acw_seconds=60, transfers=2, team_id="T2"
    ),
    contact("c2", "chat", wait=5, first_response_seconds=50, talk_seconds=400, team_id="T2"),  # handle 400
    contact("c3", "chat", abandon_after=30, team_id="T2"),  # left before any reply: not in the 30 s rate
    contact("c4", "social", team_id="T2"),  # never replied, not abandoned: late
]

TICKETS = [
    {
        "ticket_id": "k1",
        "created_at": T0,
        "first_response_at": T0 + timedelta(seconds=600),
        "resolved_at": T0 + timedelta(hours=2),
        "closed_at": T0 + timedelta(hours=3),
        "is_complex": False,
    },
    {
        "ticket_id": "k2",
        "created_at": T0,
        "first_response_at": T0 + timedelta(seconds=1200),
        "resolved_at": T0 + timedelta(hours=30),
        "is_complex": True,
    },
    {"ticket_id": "k3", "created_at": T0, "is_complex": True},  # no response, unresolved
    {
        "ticket_id": "k4",
        "created_at": T0,
        "first_response_at": T0 + timedelta(seconds=900),
        "resolved_at": T0 + timedelta(hours=10),
        "is_complex": True,
    },
]

EXPECTED: dict[str, float | None] = {
    # population: p1 p2 p3 p5 p6 (p4 is a short abandon); in 20 s: p1 p2
    "service_level": 100 * 2 / 5,
    "asa": (10 + 20 + 40) / 3,
    "answer_rate": 100 * 3 / 6,  # p1 p2 p3 of p1…p6
    "abandon_rate": 100 * 2 / 5,  # p5 p6 of p1 p2 p3 p5 p6
    "first_response_time": (20 + 50) / 2,
    "online_response_30s": 100 * 1 / 3,  # c1 of c1 c2 c4
    "aht": (150 + 240 + 300 + 660 + 400) / 5,
    "transfer_rate": 100 * 2 / 4,  # p2 c1 of p1 p2 p3 c1 (c2 has no count)
    "ticket_resolution_p50": 10.0,  # hours of 2, 10, 30
    "ticket_resolution_p90": 10 + 0.8 * (30 - 10),  # interpolated at rank 1.8
    "sla_first_response": 100 * 2 / 4,  # k1 (600 s) and k4 (900 s)
    "sla_complex_resolution": 100 * 1 / 3,  # k4 of k2 k3 k4
    "channel_coverage": 3,  # phone, chat, social
}


@pytest.fixture
def loaded(store: Store) -> Store:
    load(store, {"interactions": INTERACTIONS, "tickets": TICKETS})
    return store


def test_every_efficiency_metric_matches_the_hand_computed_value(loaded: Store) -> None:
    frame = compute_metrics(loaded, list(EXPECTED))
    assert_values(by_metric(frame), EXPECTED)


def test_ratio_rows_carry_numerator_denominator_and_sample_size(loaded: Store) -> None:
    row = one(loaded, "service_level")
    assert (row["numerator"], row["denominator"], row["sample_size"]) == (2, 5, 5)
    row = one(loaded, "ticket_resolution_p90")
    assert row["sample_size"] == 3
    assert row["numerator"] != row["numerator"]  # NaN: percentiles have no numerator


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"threshold_seconds": 40}, 100 * 3 / 5),  # p3 now in time
        ({"short_abandon_seconds": 0}, 100 * 2 / 6),  # p4 counts again
        ({"short_abandon_seconds": 61}, 100 * 2 / 4),  # p5 also short now
    ],
)
def test_service_level_settings_change_the_number(loaded: Store, params: dict[str, float], expected: float) -> None:
    catalogue = with_params("service_level", params)
    assert one(loaded, "service_level", catalogue=catalogue)["value"] == pytest.approx(expected)


def test_an_empty_slice_gives_null_not_zero(loaded: Store) -> None:
    empty = compute_metrics(loaded, list(EXPECTED), start=d("2027-01-01"), end=d("2027-01-31"))
    assert set(by_metric(empty).values()) == {None}
    assert set(empty["sample_size"]) == {0}
    assert set(empty["status"].dropna()) == set()


def test_a_zero_denominator_gives_null(loaded: Store) -> None:
    # chat contacts exist, but the service level is measured on phone only: 0 / 0
    row = one(loaded, "service_level", where="channel=chat")
    assert row["value"] != row["value"] and row["denominator"] == 0


def test_breakdown_by_team(loaded: Store) -> None:
    frame = compute_metrics(loaded, ["aht", "online_response_30s"], by=["team"])
    got = {(m, t): v for m, t, v in zip(frame["metric"], frame["team"], frame["value"], strict=True)}
    assert got[("aht", "T1")] == pytest.approx((150 + 240 + 300) / 3)
    assert got[("aht", "T2")] == pytest.approx((660 + 400) / 2)
    assert got[("online_response_30s", "T2")] == pytest.approx(100 / 3)
    assert got[("online_response_30s", "T1")] != got[("online_response_30s", "T1")]  # no online contacts


def test_resolution_time_is_reported_in_hours(loaded: Store) -> None:
    row = one(loaded, "ticket_resolution_p50")
    assert row["unit"] == "h" and row["value"] == pytest.approx(10.0)
