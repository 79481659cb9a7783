"""Review: reproducible stratified samples, review sheets, and statistics against hand-computed
precision, recall and Cohen's kappa (on both engines)."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import pytest

from csqm.errors import ConfigError
from csqm.inspection import inspect
from csqm.inspection.review import (
    SamplePlan,
    agreement,
    calibration,
    cohen_kappa,
    create_sample,
    draw,
    export_sheet,
    import_sheet,
    rule_accuracy,
)
from csqm.store import Store
from tests.inspection.helpers import FakeSentiment
from tests.inspection.store_helpers import add_conversations

GREETED = [("agent", "您好"), ("customer", "嗯"), ("agent", "再见")]


def _many(store: Store) -> None:
    convs = [(f"x{i:02d}", "phone", GREETED, {"team_id": f"T{i % 3}", "agent_id": f"A{i % 5}"}) for i in range(30)]
    add_conversations(store, convs)
    inspect(store, sentiment=FakeSentiment(), now=datetime(2026, 3, 1))


@pytest.mark.parametrize(
    ("a", "b", "kappa"),
    [
        # po = 4/5 = 0.8; pe = 0.6·0.8 + 0.4·0.2 = 0.56 → (0.8 − 0.56) / 0.44
        ([1, 1, 1, 0, 0], [1, 1, 1, 0, 1], (0.8 - 0.56) / 0.44),
        ([1, 0, 1, 0], [1, 0, 1, 0], 1.0),
        # po = 0.5, pe = 0.5 → 0
        (["y", "n", "y", "n"], ["y", "y", "n", "n"], 0.0),
        (["y", "y"], ["y", "y"], 1.0),
    ],
)
def test_cohen_kappa(a: list[object], b: list[object], kappa: float) -> None:
    assert cohen_kappa(a, b) == pytest.approx(kappa)


def test_sample_is_stratified_and_reproducible(store: Store) -> None:
    _many(store)
    plan = SamplePlan(by=("team_id",), per_stratum=4, seed=7)
    first = draw(store, plan)
    assert sorted(first["stratum"].value_counts().to_dict().items()) == [
        ("team_id=T0", 4),
        ("team_id=T1", 4),
        ("team_id=T2", 4),
    ]
    assert draw(store, plan).equals(first)
    assert not draw(store, SamplePlan(by=("team_id",), per_stratum=4, seed=8))["interaction_id"].equals(
        first["interaction_id"]
    )
    two = draw(store, SamplePlan(by=("team_id", "agent_id"), per_stratum=1, seed=7))
    assert len(two) == 15  # 3 teams × 5 agents, each pair present
    with pytest.raises(ConfigError, match="Cannot stratify"):
        draw(store, SamplePlan(by=("text",)))


def test_sheet_round_trip_and_statistics(store: Store, tmp_path: Path) -> None:
    add_conversations(store, [(f"r{i}", "phone", [("agent", "请讲"), ("agent", "不知道")], {}) for i in range(4)])
    inspect(store, sentiment=FakeSentiment(), now=datetime(2026, 3, 1))
    create_sample(store, "s1", SamplePlan(by=("channel",), per_stratum=10))
    sheet = tmp_path / "sheet.csv"
    assert export_sheet(store, "s1", sheet) > 4
    filled = tmp_path / "filled.csv"
    rows = [
        "interaction_id,reviewer,session,rule_id,seq,verdict,score,passed,note",
        # forbidden phrase rule: 3 confirmed, 1 rejected, 1 missed → precision 3/4, recall 3/4
        "r0,ann,,zh.forbidden.perfunctory,2,confirmed,,,",
        "r1,ann,,zh.forbidden.perfunctory,2,confirmed,,,",
        "r2,ann,,zh.forbidden.perfunctory,2,确认,,,",
        "r3,ann,,zh.forbidden.perfunctory,2,误判,,,",
        "r3,ann,,zh.forbidden.perfunctory,1,missed,,,",
        # greeting rule: 1 confirmed, 1 rejected, no missed → precision 1/2, recall 1
        "r0,ann,,zh.script.greeting,,confirmed,,,",
        "r1,ann,,zh.script.greeting,,rejected,,,",
        # manual scores by two reviewers in session cal
        "r0,ann,cal,,,,80,yes,",
        "r1,ann,cal,,,,60,no,",
        "r2,ann,cal,,,,90,yes,",
        "r0,bob,cal,,,,82,yes,",
        "r1,bob,cal,,,,70,yes,",
        "r2,bob,cal,,,,90,yes,",
    ]
    filled.write_text("\n".join(rows) + "\n", encoding="utf-8")
    summary = import_sheet(store, filled)
    assert (summary.decisions, summary.scores) == (7, 6)
    acc = rule_accuracy(store).set_index("rule_id")
    assert acc.loc["zh.forbidden.perfunctory", ["precision", "recall"]].tolist() == [0.75, 0.75]
    assert acc.loc["zh.script.greeting", ["precision", "recall", "misjudgment_rate"]].tolist() == [0.5, 1.0, 0.5]
    pairs = agreement(store, tolerance=5, session="cal").set_index(["rater_a", "rater_b"])
    ann_bob = pairs.loc[("ann", "bob")]
    # passed: ann (y, n, y), bob (y, y, y): po = 2/3, pe = (2/3)(1) + (1/3)(0) = 2/3 → kappa 0
    assert ann_bob["kappa_passed"] == pytest.approx(0.0)
    assert ann_bob["within_tolerance"] == pytest.approx(2 / 3)  # |80−82|, |90−90| within 5; |60−70| not
    assert ann_bob["mean_abs_diff"] == pytest.approx(4.0)
    per_conv, per_reviewer = calibration(store, "cal")
    assert per_conv.set_index("interaction_id").loc["r1", "spread"] == 10
    devs = per_reviewer.set_index("reviewer")["mean_deviation"]
    assert devs["ann"] == pytest.approx(-4.0) and devs["bob"] == pytest.approx(4.0)  # (−2 − 10 + 0) / 3
    assert import_sheet(store, filled).decisions == 7  # re-import replaces, no duplicates
    assert len(rule_accuracy(store)) == 2


def test_bad_sheet_lists_every_problem(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "interaction_id,reviewer,rule_id,seq,verdict,score\na,ann,r,x,maybe,\n,ann,,,,50\nb,bob,,,,150\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        import_sheet(store, bad)
    text = str(caught.value)
    for needed in ("line 2: verdict", "line 2: seq", "line 3: interaction_id and reviewer", "line 4: score"):
        assert needed in text
    assert math.isnan(cohen_kappa([], []))
