"""Targets and status: direction, warning levels and per-scenario targets."""

from __future__ import annotations

import pytest

from csqm.metrics import Scenario, compute_metrics
from csqm.metrics.targets import status, target_for
from csqm.store import Store
from tests.metrics.helpers import load, ts, with_changes


@pytest.mark.parametrize(
    ("value", "direction", "expected"),
    [
        (80, "higher", "good"),
        (79.9, "higher", "warning"),
        (75, "higher", "warning"),
        (74.9, "higher", "bad"),
        (20, "lower", "good"),
        (20.1, "lower", "warning"),
        (30, "lower", "warning"),
        (30.1, "lower", "bad"),
        (None, "higher", None),
        (float("nan"), "lower", None),
    ],
)
def test_status(value: float | None, direction: str, expected: str | None) -> None:
    target, warning = (80, 75) if direction == "higher" else (20, 30)
    assert status(value, target, warning, direction) == expected


def test_no_target_no_status() -> None:
    assert status(50, None, None, "higher") is None


def test_the_most_specific_scenario_wins() -> None:
    catalogue = with_changes(
        "aht",
        scenarios=(
            Scenario(when={"channel": "chat"}, target=600, warning=700),
            Scenario(when={"channel": "chat", "business_line": "ToB"}, target=800, warning=900),
        ),
    )
    aht = catalogue["aht"]
    assert target_for(aht, {"channel": "chat"}) == (600, 700)
    assert target_for(aht, {"channel": "chat", "business_line": "ToB"}) == (800, 900)
    assert target_for(aht, {"channel": "phone", "business_line": "ToB"}) == (360, 420)
    assert target_for(aht, {}) == (360, 420)


def _calls(store: Store) -> None:
    rows = []
    for n, (channel, talk) in enumerate([("phone", 300), ("phone", 500), ("chat", 650), ("email", 1000)]):
        rows.append(
            {
                "interaction_id": f"i{n}",
                "channel": channel,
                "direction": "inbound",
                "offered_at": ts("2026-03-02 02:00"),
                "answered_at": ts("2026-03-02 02:01"),
                "talk_seconds": float(talk),
            }
        )
    load(store, {"interactions": rows})


def test_scenario_targets_apply_per_row(store: Store) -> None:
    _calls(store)
    frame = compute_metrics(store, ["aht"], by=["channel"]).set_index("channel")
    assert frame.loc["phone", ["value", "target", "status"]].tolist() == [400, 360, "warning"]
    assert frame.loc["chat", ["value", "target", "status"]].tolist() == [650, 600, "warning"]
    assert frame.loc["email", ["value", "target", "status"]].tolist() == [1000, 900, "warning"]


def test_a_filter_on_one_value_selects_the_scenario(store: Store) -> None:
    _calls(store)
    assert compute_metrics(store, ["aht"], where="channel=chat").at[0, "target"] == 600
    assert compute_metrics(store, ["aht"], where="channel=chat,phone").at[0, "target"] == 360
    assert compute_metrics(store, ["aht"], where="channel!=chat").at[0, "target"] == 360
