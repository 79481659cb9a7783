"""Rollups on hand-made data, both engines: hand-computed answers, refresh, staleness, history, fallback.

Two teams in centre C1. Inbound phone calls, offered at 02:00 UTC (10:00 in Shanghai):

    day (local)   T1 (ToC)                               T2 (ToB)
    2026-01-05    A1: I1 answered, I2 answered,          B1: I4 answered
                  I3 abandoned
    2026-01-06    A2: I5 answered; A1: I7 chat answered  B1: I6 abandoned

Answer rate (phone only): T1 3/4 = 75 %, T2 1/2 = 50 %; by day 3/4 and 1/2; agent A1 2/3.
Channel coverage: T1 2 (phone, chat), T2 1. One ticket, T1's, resolved in one hour (the median
resolution time is in hours).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from csqm.ingest import ingest_file
from csqm.metrics import compute_metrics, default_catalogue, rollup
from csqm.metrics import history as hist
from csqm.metrics.model import Param
from csqm.metrics.rollup.tables import ROLLUP_TABLE
from csqm.metrics.rollup.version import data_version, existing_tables
from csqm.settings import Settings
from csqm.store import Store
from tests.metrics.helpers import load, ts

RANGE: dict[str, Any] = {"start": date(2026, 1, 5), "end": date(2026, 1, 11)}


def _call(iid: str, agent: str, team: str, day: int, answered: bool, channel: str = "phone") -> dict[str, Any]:
    offered = ts(f"2026-01-0{day} 02:00")
    return {
        "interaction_id": iid,
        "channel": channel,
        "direction": "inbound",
        "agent_id": agent,
        "team_id": team,
        "business_line": "ToC" if team == "T1" else "ToB",
        "offered_at": offered,
        "answered_at": ts(f"2026-01-0{day} 02:00:10") if answered else None,
        "ended_at": ts(f"2026-01-0{day} 02:05"),
        "abandoned": not answered,
        "talk_seconds": 290.0 if answered else None,
    }


def seed(store: Store) -> None:
    load(
        store,
        {
            "teams": [
                {"team_id": "T1", "centre_id": "C1", "business_line": "ToC"},
                {"team_id": "T2", "centre_id": "C1", "business_line": "ToB"},
            ],
            "agents": [{"agent_id": a, "team_id": t} for a, t in (("A1", "T1"), ("A2", "T1"), ("B1", "T2"))],
            "interactions": [
                _call("I1", "A1", "T1", 5, True),
                _call("I2", "A1", "T1", 5, True),
                _call("I3", "A1", "T1", 5, False),
                _call("I4", "B1", "T2", 5, True),
                _call("I5", "A2", "T1", 6, True),
                _call("I6", "B1", "T2", 6, False),
                _call("I7", "A1", "T1", 6, True, channel="chat"),
            ],
            "tickets": [
                {
                    "ticket_id": "K1",
                    "team_id": "T1",
                    "agent_id": "A1",
                    "channel": "phone",
                    "created_at": ts("2026-01-05 03:00"),
                    "resolved_at": ts("2026-01-05 04:00"),
                }
            ],
        },
    )


@pytest.fixture
def seeded(store: Store) -> Store:
    seed(store)
    return store


def _by(frame: pd.DataFrame, key: str, metric: str = "answer_rate") -> dict[Any, float | None]:
    part = frame[frame["metric"] == metric]
    return {
        (k.date() if isinstance(k, pd.Timestamp) else k): (None if pd.isna(v) else round(float(v), 6))
        for k, v in zip(part[key], part["value"], strict=True)
    }


def both(store: Store, ids: list[str], **kwargs: Any) -> pd.DataFrame:
    """The rollup's answer, checked equal to the raw answer."""
    kwargs.setdefault("record_history", False)
    fast = rollup.compute_metrics(store, ids, **kwargs)
    raw = compute_metrics(store, ids, **kwargs)
    pd.testing.assert_frame_equal(fast, raw, rtol=1e-12)
    return fast


def test_hand_computed_answers_from_the_rollup(seeded: Store) -> None:
    summary = rollup.refresh(seeded, default_catalogue())
    assert summary.rows > 0 and summary.measures > 50
    by_team = both(seeded, ["answer_rate", "channel_coverage"], by=["team"], **RANGE)
    assert by_team.attrs["rollup"] == ["answer_rate", "channel_coverage"]
    assert _by(by_team, "team") == {"T1": 75.0, "T2": 50.0}
    assert _by(by_team, "team", "channel_coverage") == {"T1": 2.0, "T2": 1.0}
    by_day = both(seeded, ["answer_rate"], grain="day", **RANGE)
    assert _by(by_day, "period") == {date(2026, 1, 5): 75.0, date(2026, 1, 6): 50.0}
    one_agent = both(seeded, ["answer_rate"], where="agent=A1", **RANGE)
    assert round(float(one_agent["value"].iloc[0]), 6) == round(200 / 3, 6)
    centre = both(seeded, ["answer_rate"], by=["centre"], grain="week", **RANGE)
    assert _by(centre, "centre") == {"C1": round(400 / 6, 6)}
    assert centre["sample_size"].tolist() == [6]
    # The ToB scenario target (answer rate has none; service level does) applies per business line.
    levels = both(seeded, ["service_level"], by=["business_line"], **RANGE)
    assert dict(zip(levels["business_line"], levels["target"], strict=True)) == {"ToB": 90.0, "ToC": 80.0}


def test_uncovered_metric_falls_back_with_the_same_rows(seeded: Store) -> None:
    """A percentile is answered raw; its rows are the union of every source's keys, as in one query."""
    rollup.refresh(seeded, default_catalogue())
    frame = both(seeded, ["answer_rate", "ticket_resolution_p50"], by=["team"], **RANGE)
    assert frame.attrs["rollup"] == ["answer_rate"]
    assert _by(frame, "team", "ticket_resolution_p50") == {"T1": 1.0, "T2": None}


def test_stale_rollup_is_never_served(seeded: Store) -> None:
    rollup.refresh(seeded, default_catalogue())
    assert rollup.current_state(seeded) is not None
    load(seeded, {"interactions": [_call("I8", "B1", "T2", 6, True)]})  # written behind ingest's back
    assert rollup.current_state(seeded) is None
    frame = both(seeded, ["answer_rate"], by=["team"], **RANGE)
    assert frame.attrs["rollup"] == []
    assert _by(frame, "team") == {"T1": 75.0, "T2": round(200 / 3, 6)}
    rollup.refresh(seeded, default_catalogue())
    again = both(seeded, ["answer_rate"], by=["team"], **RANGE)
    assert again.attrs["rollup"] == ["answer_rate"]
    assert _by(again, "team") == {"T1": 75.0, "T2": round(200 / 3, 6)}


def test_inspection_results_move_the_data_version(seeded: Store) -> None:
    rollup.refresh(seeded, default_catalogue())
    before = data_version(seeded)
    result = {"interaction_id": "I1", "pack_version": "p", "scope_digest": "s", "score": 90.0, "passed": True}
    load(seeded, {"inspection_results": [{**result, "inspected_at": ts("2026-01-07 00:00")}]})
    assert data_version(seeded) != before
    assert rollup.current_state(seeded) is None


def test_second_ingest_refreshes_and_changes_the_answers(seeded: Store, settings: Settings, tmp_path: Path) -> None:
    """Ingest updates I3 (now answered) and adds I9 (T2, abandoned); the hook rebuilds the rollup."""
    rollup.refresh(seeded, default_catalogue())
    assert _by(both(seeded, ["answer_rate"], by=["team"], **RANGE), "team") == {"T1": 75.0, "T2": 50.0}
    csv = tmp_path / "more.csv"
    rows = [_call("I3", "A1", "T1", 5, True), _call("I9", "B1", "T2", 6, False)]
    pd.DataFrame(rows).to_csv(csv, index=False)
    ingest_file(csv, "interactions", store=seeded, settings=settings)
    assert rollup.current_state(seeded) is not None  # refreshed by the ingest hook
    frame = both(seeded, ["answer_rate"], by=["team"], **RANGE)
    assert frame.attrs["rollup"] == ["answer_rate"]
    assert _by(frame, "team") == {"T1": 100.0, "T2": round(100 / 3, 6)}


def test_after_change_builds_nothing_until_asked(seeded: Store) -> None:
    assert rollup.after_change(seeded) is None
    assert ROLLUP_TABLE not in existing_tables(seeded)
    rollup.refresh(seeded, default_catalogue())
    assert rollup.after_change(seeded) is None  # nothing changed since
    load(seeded, {"interactions": [_call("I8", "B1", "T2", 6, True)]})
    assert rollup.after_change(seeded) is not None
    assert rollup.current_state(seeded) is not None


def test_empty_store_builds_an_empty_rollup(store: Store) -> None:
    summary = rollup.refresh(store, default_catalogue())
    assert summary.rows == 0
    frame = both(store, ["answer_rate"], by=["team"], **RANGE)
    assert frame.empty and frame.attrs["rollup"] == ["answer_rate"]
    total = both(store, ["answer_rate"], **RANGE)
    assert total["sample_size"].tolist() == [0] and total["value"].isna().all()


def test_history_targets_and_changed_definitions(seeded: Store) -> None:
    """v1 (target 90) from December; v2 from 6 January: target 70 and chat counted too.

    Before the rollup knows v2's measures, its period is answered raw; after a refresh, from the
    rollup — the targets per period the same either way.
    """
    cat = default_catalogue()
    v1 = cat["answer_rate"].model_copy(update={"target": 90.0, "warning": 85.0})
    hist.record(seeded, cat.replace({"answer_rate": v1}), date(2025, 12, 1))
    rollup.refresh(seeded, cat)
    channels = Param(value=["phone", "chat"], doc="Queue channels measured.")
    v2 = v1.model_copy(
        update={"target": 70.0, "warning": 60.0, "effective_from": date(2026, 1, 6),
                "params": {**v1.params, "channels": channels}}
    )  # fmt: skip
    v2_cat = cat.replace({"answer_rate": v2})
    kwargs: dict[str, Any] = {"grain": "day", "catalogue": v2_cat, "record_history": True, "today": date(2026, 1, 7)}
    partly = both(seeded, ["answer_rate"], **kwargs, **RANGE)
    assert partly.attrs["rollup"] == []  # one of its periods needs v2's measures
    assert dict(zip(partly["period"].dt.date, partly["target"], strict=True)) == {
        date(2026, 1, 5): 90.0,
        date(2026, 1, 6): 70.0,
    }
    assert _by(partly, "period") == {date(2026, 1, 5): 75.0, date(2026, 1, 6): round(200 / 3, 6)}
    rollup.refresh(seeded, v2_cat)
    full = both(seeded, ["answer_rate"], **kwargs, **RANGE)
    assert full.attrs["rollup"] == ["answer_rate"]
    pd.testing.assert_frame_equal(full, partly)


def test_failed_refresh_keeps_the_previous_rollup(seeded: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from csqm.metrics.rollup import build

    rollup.refresh(seeded, default_catalogue())
    before = rollup.built_state(seeded)

    def broken(store: Store, columns: list[str]) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(build, "_build_team_level", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        rollup.refresh(seeded, default_catalogue())
    assert rollup.built_state(seeded) == before
    frame = both(seeded, ["answer_rate"], by=["team"], **RANGE)
    assert frame.attrs["rollup"] == ["answer_rate"]
    assert _by(frame, "team") == {"T1": 75.0, "T2": 50.0}
    monkeypatch.undo()
    assert rollup.refresh(seeded, default_catalogue()).rows > 0  # the leftover half-built table is no obstacle
