"""Quality KPIs (M3) on a hand-made fixture, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from csqm.metrics import compute_metrics
from csqm.store import Store
from tests.metrics.helpers import Row, assert_values, by_metric, d, load, one, ts, with_params

T0 = ts("2026-03-02 02:00")  # Monday 10:00 in Shanghai


def contact(
    iid: str, hours: float, customer: str | None, topic: str | None, channel: str = "phone", **extra: object
) -> Row:
    """An answered inbound contact ``hours`` after T0 (override with answered_at=None, direction=…)."""
    at = T0 + timedelta(hours=hours)
    row: Row = {
        "interaction_id": iid,
        "channel": channel,
        "direction": "inbound",
        "customer_id": customer,
        "topic": topic,
        "offered_at": at,
        "answered_at": at + timedelta(seconds=10),
        "team_id": "T1",
    }
    row.update(extra)
    return row


INTERACTIONS = [
    contact("f1", 0, "C1", "billing", resolved=True),
    contact("f2", 1, "C1", "billing", "chat", resolved=False, escalated=True),  # repeats f1 after 1 h, other channel
    contact("f3", 21, "C1", "billing", resolved=True),  # repeats f2 after 20 h
    contact("f11", 93, "C1", "billing", "chat", resolved=True),  # repeats f3 after 72 h
    contact("f4", 0.5, "C1", "delivery", resolved=True),  # another topic: not a repeat of f1
    contact("f10", 0.75, "C1", "delivery", direction="outbound"),  # our call-back: not a repeat of f4
    contact("f5", 3, "C2", "billing", escalated=True, team_id="T2"),  # resolved not recorded
    contact("f6", 4, "C2", "billing", answered_at=None, abandoned=True),  # repeat of f5 although abandoned
    contact("f7", 5, "C3", None, resolved=False),  # no topic: cannot be judged for FCR
    contact("f8", 6, None, "billing", resolved=True),  # no customer: cannot be judged for FCR
]
# FCR population: f1 f2 f3 f11 f4 f5. Next contact on the same customer and topic:
#   f1 → f2 1 h, f2 → f3 20 h, f3 → f11 72 h, f11 none, f4 none (f10 is outbound), f5 → f6 1 h
TICKETS = [
    {"ticket_id": "r1", "created_at": T0, "resolved_at": T0 + timedelta(hours=1), "reopen_count": 0},
    {"ticket_id": "r2", "created_at": T0, "resolved_at": T0 + timedelta(hours=1), "reopen_count": 2},
    {"ticket_id": "r3", "created_at": T0, "closed_at": T0 + timedelta(hours=1)},
    {"ticket_id": "r4", "created_at": T0, "reopen_count": 1},  # still open: not in the population
]


def survey(sid: str, iid: str, csat: float | None = None, nps: float | None = None, ces: float | None = None) -> Row:
    answered = any(v is not None for v in (csat, nps, ces))
    return {
        "survey_id": sid,
        "interaction_id": iid,
        "sent_at": T0 + timedelta(days=1),
        "answered_at": T0 + timedelta(days=2) if answered else None,
        "csat": csat,
        "nps": nps,
        "ces": ces,
    }


SURVEYS = [
    survey("s1", "f1", csat=5, nps=10, ces=7),
    survey("s2", "f2", csat=4, nps=9, ces=5),
    survey("s3", "f3", csat=3, nps=6),
    survey("s4", "f5", csat=1, ces=2),
    survey("s5", "f4"),  # sent, never answered
    survey("s6", "f11"),  # sent, never answered
]


def complaint(cid: str, customer: str, category: str, days: float) -> Row:
    return {
        "complaint_id": cid,
        "customer_id": customer,
        "category": category,
        "channel": "phone",
        "created_at": T0 + timedelta(days=days),
    }


COMPLAINTS = [
    complaint("q1", "C1", "attitude", 0),
    complaint("q2", "C1", "attitude", 10),  # repeat: same customer and category within 30 days
    complaint("q3", "C1", "logistics", 12),  # other category
    complaint("q4", "C2", "attitude", 40),
    complaint("q5", "C2", "attitude", 80),  # 40 days after q4: not a repeat
]

EXPECTED: dict[str, float | None] = {
    "fcr": 100 * 4 / 6,  # repeats within 2 h: f1, f5
    "fcr_24h": 100 * 3 / 6,  # + f2
    "fcr_7d": 100 * 2 / 6,  # + f3
    "resolution_rate": 100 * 5 / 7,  # f1 f3 f11 f4 f8 of f1 f2 f3 f11 f4 f7 f8 (f5, f10: no flag)
    "reopen_rate": 100 * 1 / 3,  # r2 of r1 r2 r3
    "csat": 100 * 2 / 4,  # s1 s2 of s1…s4; s5 s6 unanswered are not in the denominator
    "csat_mean": (5 + 4 + 3 + 1) / 4,
    "nps_promoters": 100 * 2 / 3,
    "nps_detractors": 100 * 1 / 3,
    "nps": 100 * 2 / 3 - 100 * 1 / 3,
    "ces": (7 + 5 + 2) / 3,
    "survey_response_rate": 100 * 4 / 6,
    "complaint_rate": 1000 * 5 / 9,  # 5 complaints, 9 inbound contacts (f10 is outbound)
    "repeat_complaint_rate": 100 * 1 / 5,
    "escalation_rate": 100 * 2 / 8,  # f2 f5 of the 8 answered inbound agent contacts
}


@pytest.fixture
def loaded(store: Store) -> Store:
    load(store, {"interactions": INTERACTIONS, "tickets": TICKETS, "surveys": SURVEYS, "complaints": COMPLAINTS})
    return store


def test_every_quality_metric_matches_the_hand_computed_value(loaded: Store) -> None:
    frame = compute_metrics(loaded, list(EXPECTED))
    assert_values(by_metric(frame), EXPECTED)


def test_a_repeat_after_the_end_of_the_range_still_counts(loaded: Store) -> None:
    # 2 and 3 March (local): f1 f2 f3 f4 f5; f3's repeat f11 on 6 March is outside the range
    assert one(loaded, "fcr_7d", start=d("2026-03-02"), end=d("2026-03-03"))["value"] == pytest.approx(100 / 5)


def test_repeats_cross_channels_and_a_filter_does_not_hide_them(loaded: Store) -> None:
    # phone contacts only: f1 f3 f4 f5; f1's repeat is the chat f2, f3's the chat f11
    assert one(loaded, "fcr_7d", where="channel=phone")["value"] == pytest.approx(100 * 1 / 4)


def test_fcr_window_is_a_setting(loaded: Store) -> None:
    catalogue = with_params("fcr", {"window_seconds": 30 * 3600})  # 30 h: f2 → f3 (20 h) now a repeat too
    assert one(loaded, "fcr", catalogue=catalogue)["value"] == pytest.approx(100 * 3 / 6)


def test_surveys_sent_but_not_answered(loaded: Store) -> None:
    row = one(loaded, "csat")
    assert (row["numerator"], row["denominator"]) == (2, 4)
    assert one(loaded, "survey_response_rate")["denominator"] == 6


def test_surveys_take_the_dimensions_of_the_surveyed_contact(loaded: Store) -> None:
    frame = compute_metrics(loaded, ["csat_mean"], by=["team", "channel"])
    got = {(t, c): v for t, c, v in zip(frame["team"], frame["channel"], frame["value"], strict=True)}
    assert got == {("T1", "phone"): pytest.approx(4), ("T1", "chat"): pytest.approx(4), ("T2", "phone"): 1}


def test_nps_is_derived_and_null_without_answers(loaded: Store) -> None:
    row = one(loaded, "nps", start=d("2030-01-01"), end=d("2030-01-02"))
    assert row["value"] != row["value"] and row["sample_size"] == 0
