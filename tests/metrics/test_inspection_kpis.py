"""The inspection KPIs of the catalogue on a hand-made fixture, on DuckDB and PostgreSQL."""

from __future__ import annotations

import math
from typing import Any

import pytest

from csqm.metrics import compute_metrics
from csqm.store import Store
from tests.metrics.helpers import assert_values, by_metric, d, insert, load, ts, values

T0 = ts("2026-03-02 02:00")


def _result(iid: str, score: float | None, passed: bool | None, fatal: int) -> dict[str, Any]:
    return {
        "interaction_id": iid,
        "pack_version": "v",
        "scope_digest": "x",
        "score": score,
        "passed": passed,
        "fatal_count": fatal,
        "offered_at": T0,
    }


def _finding(iid: str, no: int, category: str) -> dict[str, Any]:
    return {"interaction_id": iid, "finding_no": no, "rule_id": f"r-{category}", "category": category}


@pytest.fixture
def loaded(store: Store) -> Store:
    load(
        store,
        {
            "teams": [{"team_id": "T1"}, {"team_id": "T2"}],
            "interactions": [
                {"interaction_id": i, "channel": ch, "team_id": team, "offered_at": T0}
                for i, ch, team in [
                    ("c1", "phone", "T1"),
                    ("c2", "chat", "T1"),
                    ("c3", "phone", "T2"),
                    ("c4", "bot", "T2"),
                ]
            ],
            "surveys": [
                {"survey_id": s, "interaction_id": i, "sent_at": T0, "csat": csat}
                for s, i, csat in [("s1", "c1", 5), ("s2", "c2", 4), ("s3", "c3", 4), ("s4", "c1", 2), ("s5", "c3", 5)]
            ],
            "complaints": [{"complaint_id": "k1", "interaction_id": "c2", "created_at": T0}],
        },
    )
    insert(
        store,
        "inspection_results",
        [
            _result("c1", 100, True, 0),
            _result("c2", 80, False, 0),
            _result("c3", 0, False, 1),
            _result("c4", None, None, 0),
        ],
    )
    insert(
        store,
        "inspection_findings",
        [
            _finding("c1", 1, "thanks"),
            _finding("c1", 2, "history"),
            _finding("c2", 1, "forbidden"),
            _finding("c2", 2, "forbidden"),  # twice in one conversation counts once
            _finding("c2", 3, "negative_emotion"),
            _finding("c3", 1, "forbidden"),
            _finding("c4", 1, "forbidden"),  # unscored conversation: not in any denominator
        ],
    )
    insert(
        store,
        "inspection_feedback",
        [
            {"survey_id": "s1", "interaction_id": "c1", "negative": True},
            {"survey_id": "s5", "interaction_id": "c3", "negative": False},
        ],
    )
    return store


EXPECTED: dict[str, float | None] = {
    "qa_score_avg": (100 + 80 + 0) / 3,  # c4 has no score
    "qa_pass_rate": 100 * 1 / 3,  # c1
    "qa_fatal_rate": 100 * 1 / 3,  # c3
    "forbidden_phrase_rate": 100 * 2 / 3,  # c2, c3 (c4 unscored)
    "customer_thanks_share": 100 * 1 / 3,  # c1
    "history_referenced_rate": 100 * 1 / 3,  # c1
    "negative_emotion_share": 100 * 1 / 3,  # c2
    "pseudo_satisfied_share": 100 * 2 / 4,  # s1 (negative comment), s2 (complaint) of s1 s2 s3 s5
}


def test_every_inspection_kpi_matches_the_hand_computed_value(loaded: Store) -> None:
    assert_values(by_metric(compute_metrics(loaded, list(EXPECTED))), EXPECTED)


def test_by_team(loaded: Store) -> None:
    frame = compute_metrics(loaded, ["qa_score_avg", "forbidden_phrase_rate"], by=("team",))
    scores = values(frame[frame["metric"] == "qa_score_avg"], "team")
    forbidden = values(frame[frame["metric"] == "forbidden_phrase_rate"], "team")
    assert scores == {"T1": 90.0, "T2": 0.0}
    assert forbidden == {"T1": 50.0, "T2": 100.0}


def test_empty_slice_is_null_not_zero(loaded: Store) -> None:
    frame = compute_metrics(loaded, ["qa_pass_rate"], start=d("2027-01-01"), end=d("2027-01-31"))
    assert frame.empty or all(v is None or math.isnan(v) for v in frame["value"])
