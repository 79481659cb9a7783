"""The loop on both engines: findings with hand-computed rates, actions with their log, overdue, verification."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pytest

from csqm.improvement import (
    DetectSettings,
    ImprovementError,
    UnknownIdError,
    VerificationError,
    create_action,
    detail,
    detect,
    get_action,
    list_actions,
    list_findings,
    overdue,
    set_finding_status,
    training_needs,
    update_action,
    verify_action,
)
from csqm.improvement.findings import add_finding
from csqm.store import Store
from tests.improvement.conftest import EFFECTIVE, seed

TODAY = date(2026, 6, 1)
INSPECTION_DAY = date(2026, 2, 10)


@pytest.fixture
def seeded(store: Store) -> Store:
    seed(store)
    return store


def test_inspection_findings_by_hand(seeded: Store) -> None:
    new, skipped = detect(seeded, sources=["inspection"], start=INSPECTION_DAY, end=INSPECTION_DAY, username="qm")
    assert skipped == 0
    got = {(f.scope_kind, f.scope_value): f for f in new}
    assert set(got) == {("team", "T1"), ("agent", "A1")}  # T2 has 1 hit (< 5), A2 2 hits, info rules never count
    team = got[("team", "T1")]
    assert (team.value, team.reference) == (pytest.approx(40.0), pytest.approx(1.0))
    assert team.rule_id == "r.forbidden" and team.metric == "forbidden_phrase_rate"
    assert team.team_id == "T1" and team.agent_id is None and team.status == "open" and team.source == "inspection"
    # one-sided pooled z: p = 21/150, se = √(p(1-p)(1/50 + 1/100)), z = (0.40 - 0.01)/se
    p = 21 / 150
    z = 0.39 / math.sqrt(p * (1 - p) * (1 / 50 + 1 / 100))
    assert team.p_value == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)), rel=1e-6)
    assert "20 of 50 inspected conversations" in (team.evidence or "")
    agent = got[("agent", "A1")]
    assert (agent.value, agent.reference) == (pytest.approx(72.0), pytest.approx(8.0))
    assert agent.team_id == "T1" and agent.agent_id == "A1"
    # detecting again records nothing new
    again, skipped = detect(seeded, sources=["inspection"], start=INSPECTION_DAY, end=INSPECTION_DAY)
    assert again == [] and skipped == 2
    assert len(list_findings(seeded)) == 2


def test_kpi_target_findings(seeded: Store) -> None:
    cfg = DetectSettings(metrics=("answer_rate",))
    new, _ = detect(seeded, sources=["kpi"], start=date(2026, 1, 5), end=date(2026, 3, 1), settings=cfg)
    # every team is at 75 % over the period (T1: (12·28 + 18·28)/(20·56)), below the warning level 85 %;
    # no weekly change goes the bad way (T1 improves, T2 and T3 are flat)
    # the phone channel as a whole is at 75 % too; the business line is unknown without customers
    assert sorted((f.scope_kind, f.scope_value, f.metric, f.value) for f in new) == [
        ("channel", "phone", "answer_rate", pytest.approx(75.0)),
        ("team", "T1", "answer_rate", pytest.approx(75.0)),
        ("team", "T2", "answer_rate", pytest.approx(75.0)),
        ("team", "T3", "answer_rate", pytest.approx(75.0)),
    ]
    assert next(f for f in new if f.scope_kind == "channel").team_id is None
    assert all(f.reference == 90 and f.p_value is None for f in new)


def test_kpi_change_finding(seeded: Store) -> None:
    """A worsening the other way round: a 'lower is better' metric that went up is flagged, by agent too."""
    cfg = DetectSettings(metrics=("abandon_rate",), recent_weeks=4, history_weeks=4)
    new, _ = detect(seeded, sources=["kpi"], start=date(2026, 1, 5), end=date(2026, 3, 1), settings=cfg)
    changed = [f for f in new if f.p_value is not None]
    # T1's abandon rate falls from 40 % to 10 % in its last four weeks: better, so no change finding
    assert changed == []


def test_bad_detect_input(seeded: Store) -> None:
    with pytest.raises(ImprovementError, match="Unknown finding source 'phone'"):
        detect(seeded, sources=["phone"])
    with pytest.raises(ImprovementError, match=r"ends .* before it starts"):
        detect(seeded, start=date(2026, 2, 2), end=date(2026, 2, 1))
    with pytest.raises(ImprovementError, match="no metric 'nope'"):
        detect(seeded, sources=["kpi"], settings=DetectSettings(metrics=("nope",)))


def test_action_lifecycle_and_log(seeded: Store) -> None:
    new, _ = detect(seeded, sources=["inspection"], start=INSPECTION_DAY, end=INSPECTION_DAY)
    team_finding = next(f for f in new if f.scope_kind == "team")
    action = create_action(
        seeded,
        username="qm",
        title="Coach T1 on forbidden phrases",
        finding_id=team_finding.finding_id,
        root_cause="Never trained; customer called from 13812345678",
        department="培训部",
        owner="王芳",
        effective_on="2026-02-16",
        due_on="2026-02-20",
    )
    assert action.action_id == "A00001" and action.kind == "action" and action.status == "open"
    assert (action.metric, action.scope_kind, action.scope_value, action.team_id) == (
        "forbidden_phrase_rate", "team", "T1", "T1",
    )  # fmt: skip
    assert action.root_cause == "Never trained; customer called from 138****5678"  # masked before storage
    assert list_findings(seeded, status="actioned")[0].finding_id == team_finding.finding_id

    update_action(seeded, "A00001", username="lead", changes={"status": "in_progress"}, note="Two sessions held")
    update_action(seeded, "A00001", username="qm", changes={"due_on": "2026-03-01", "owner": "李雷"})
    update_action(seeded, "A00001", username="qm", changes={"owner": "李雷"})  # no change: nothing logged
    log = detail(seeded, "A00001").events
    assert [(e.event_no, e.username, e.kind, e.field, e.old_value, e.new_value, e.note) for e in log] == [
        (1, "qm", "created", None, None, None, "Coach T1 on forbidden phrases"),
        (2, "lead", "status", "status", "open", "in_progress", None),
        (3, "lead", "progress", None, None, None, "Two sessions held"),
        (4, "qm", "changed", "due_on", "2026-02-20", "2026-03-01", None),
        (5, "qm", "changed", "owner", "王芳", "李雷", None),
    ]

    assert [a.action_id for a in overdue(seeded, today=date(2026, 3, 2))] == ["A00001"]
    assert overdue(seeded, today=date(2026, 3, 1)) == []  # due that day: not yet overdue
    assert get_action(seeded, "A00001", today=date(2026, 3, 2)).overdue
    update_action(seeded, "A00001", username="qm", changes={"status": "done"})
    assert overdue(seeded, today=date(2026, 3, 2)) == []
    assert [a.action_id for a in list_actions(seeded, status="done")] == ["A00001"]


def test_bad_action_input(seeded: Store) -> None:
    with pytest.raises(ImprovementError, match="needs a title"):
        create_action(seeded, username="qm", title="  ")
    with pytest.raises(UnknownIdError, match="no finding 'F09999'"):
        create_action(seeded, username="qm", title="x", finding_id="F09999")
    with pytest.raises(ImprovementError, match="no metric 'speed'"):
        create_action(seeded, username="qm", title="x", metric="speed")
    with pytest.raises(ImprovementError, match="Unknown scope 'planet'"):
        create_action(seeded, username="qm", title="x", scope_kind="planet", scope_value="x")
    with pytest.raises(ImprovementError, match="not a date"):
        create_action(seeded, username="qm", title="x", due_on="next week")
    with pytest.raises(ImprovementError, match="training record needs the trainee"):
        create_action(seeded, username="qm", title="x", kind="training", effective_on="2026-02-01")
    a = create_action(seeded, username="qm", title="x")
    with pytest.raises(ImprovementError, match="Unknown status 'finished'"):
        update_action(seeded, a.action_id, username="qm", changes={"status": "finished"})
    with pytest.raises(ImprovementError, match="Cannot change created_by"):
        update_action(seeded, a.action_id, username="qm", changes={"created_by": "me"})
    with pytest.raises(UnknownIdError):
        update_action(seeded, "A09999", username="qm", changes={"status": "done"})
    with pytest.raises(ImprovementError, match="cannot be verified without its metric, scope, effective date"):
        verify_action(seeded, a.action_id, username="qm", today=TODAY)
    # nothing half-written: one action, its one creation event
    assert len(list_actions(seeded)) == 1 and len(detail(seeded, a.action_id).events) == 1


def test_verification_planted_effect_on_the_store(seeded: Store) -> None:
    """T1's answer rate 60 % → 90 % on 2026-02-02; T2, T3 flat at 75 %."""
    a = create_action(
        seeded, username="qm", title="More staff at peaks", metric="answer_rate", scope_kind="team",
        scope_value="T1", effective_on=EFFECTIVE, window_days=28,
    )  # fmt: skip
    v = verify_action(seeded, a.action_id, username="qm", today=TODAY)
    assert v.test == "two_proportion_z" and v.verdict == "improved"
    assert (v.before_start, v.before_end, v.after_start, v.after_end) == (
        date(2026, 1, 5), date(2026, 2, 1), date(2026, 2, 2), date(2026, 3, 1),
    )  # fmt: skip
    assert (v.before_value, v.after_value) == (pytest.approx(60.0), pytest.approx(90.0))
    # 336/560 vs 504/560: pooled 0.75, se = √(0.75·0.25·2/560), z = 0.3/se = 11.5931
    assert v.statistic == pytest.approx(0.3 / math.sqrt(0.75 * 0.25 * 2 / 560), rel=1e-9)
    assert v.effect_size == pytest.approx(2 * math.asin(math.sqrt(0.9)) - 2 * math.asin(math.sqrt(0.6)))
    assert v.comparison is not None and "T2, T3" in v.comparison
    assert v.comparison_change == pytest.approx(0.0) and v.did_estimate == pytest.approx(30.0)
    assert v.did_p_value is not None and v.did_p_value < 1e-6
    assert detail(seeded, a.action_id).events[-1].new_value == "improved"


def test_verification_welch_path_and_null_on_the_store(seeded: Store) -> None:
    aht = create_action(
        seeded, username="qm", title="Shorter scripts", metric="aht", scope_kind="team", scope_value="T1",
        effective_on=EFFECTIVE,
    )  # fmt: skip
    v = verify_action(seeded, aht.action_id, username="qm", today=TODAY)
    # daily AHT before: 300 + 10·(d mod 5) over d = 0..27, after: 250 + 10·(d mod 5) over d = 28..55
    before = [300 + 10 * (d % 5) for d in range(28)]
    after = [250 + 10 * (d % 5) for d in range(28, 56)]
    assert v.test == "welch_t" and v.verdict == "improved"
    assert v.before_value == pytest.approx(sum(before) / 28) and v.after_value == pytest.approx(sum(after) / 28)
    # the comparison (T2, T3) follows the same 5-day pattern, so its change is that of the pattern alone
    pattern_change = sum(10 * (d % 5) for d in range(28, 56)) / 28 - sum(10 * (d % 5) for d in range(28)) / 28
    assert v.comparison_change == pytest.approx(pattern_change) and pattern_change == pytest.approx(10 / 7)
    assert v.did_estimate == pytest.approx(-50.0)
    # the null: T2's answer rate did not move. T1 had its own action on answer_rate in the window, so it is
    # not an untouched comparison group: only T3 is used, and the verdict is no change.
    create_action(
        seeded, username="qm", title="T1 staffing", metric="answer_rate", scope_kind="team", scope_value="T1",
        effective_on=EFFECTIVE,
    )  # fmt: skip
    t2 = create_action(
        seeded, username="qm", title="T2 staffing", metric="answer_rate", scope_kind="team", scope_value="T2",
        effective_on=EFFECTIVE,
    )  # fmt: skip
    n = verify_action(seeded, t2.action_id, username="qm", today=TODAY)
    assert n.verdict == "no_change" and n.p_value == 1.0 and n.statistic == 0.0
    assert n.comparison is not None and "T3" in n.comparison and "T1" not in n.comparison
    assert n.did_estimate == pytest.approx(0.0)


def test_verification_refusals(seeded: Store) -> None:
    a = create_action(
        seeded, username="qm", title="x", metric="answer_rate", scope_kind="team", scope_value="T1",
        effective_on=EFFECTIVE,
    )  # fmt: skip
    with pytest.raises(VerificationError, match="after window ends on 2026-03-01; verify answer_rate from 2026-03-02"):
        verify_action(seeded, a.action_id, username="qm", today=date(2026, 3, 1))
    empty = create_action(
        seeded, username="qm", title="y", metric="answer_rate", scope_kind="team", scope_value="T9",
        effective_on=EFFECTIVE,
    )  # fmt: skip
    with pytest.raises(VerificationError, match="needs cases on each side"):
        verify_action(seeded, empty.action_id, username="qm", today=TODAY)
    with pytest.raises(ImprovementError, match="at least 3 days"):
        update_action(seeded, a.action_id, username="qm", changes={"window_days": 2})


def test_training_record_and_needs(seeded: Store) -> None:
    needs = training_needs(seeded, start=INSPECTION_DAY, end=INSPECTION_DAY)
    assert [(n.level, n.team_id, n.agent_id, n.failures, n.cases, n.metric) for n in needs] == [
        ("agent", "T1", "A1", 18, 25, "forbidden_phrase_rate"),
        ("team", "T1", None, 20, 50, "forbidden_phrase_rate"),
    ]
    assert training_needs(seeded, start=INSPECTION_DAY, end=INSPECTION_DAY, agent_id="B1") == []
    t = create_action(
        seeded, username="qm", kind="training", title="Polite phrasing", agent_id="A1", owner="李老师",
        metric="answer_rate", effective_on=EFFECTIVE,
    )  # fmt: skip
    assert (t.action_id, t.kind, t.team_id, t.scope_kind, t.scope_value, t.status) == (
        "T00001", "training", "T1", "agent", "A1", "done",
    )  # fmt: skip
    v = verify_action(seeded, t.action_id, username="qm", today=TODAY)
    # A1 handles all of T1's calls: 60 % → 90 %; other agents (B1, C1) flat
    assert v.verdict == "improved" and v.scope_kind == "agent"
    assert [x.action_id for x in list_actions(seeded, kind="training")] == ["T00001"]


def test_manual_finding_and_status(seeded: Store) -> None:
    f = add_finding(seeded, username="qm", title="Callers complain about hold music", scope_kind="team",
                    scope_value="T2")  # fmt: skip
    assert f.source == "manual" and f.team_id == "T2"
    g = add_finding(seeded, username="qm", title="Callers complain about hold music", scope_kind="team",
                    scope_value="T2")  # fmt: skip
    assert g.finding_id != f.finding_id  # manual findings are never merged
    closed = set_finding_status(seeded, f.finding_id, "dismissed", username="qm", note="Music changed already")
    assert closed.status == "dismissed"
    with pytest.raises(ImprovementError, match="Unknown finding status"):
        set_finding_status(seeded, f.finding_id, "gone", username="qm")
    with pytest.raises(ImprovementError, match="needs a value"):
        add_finding(seeded, username="qm", title="x", scope_kind="team")


# --- the KPI change rule on weekly series (no store needed) ----------------------------------------

FIRST, SPLIT, STOP = date(2026, 1, 5), date(2026, 3, 2), date(2026, 3, 29)  # 12 weeks, the last 4 recent


def _change(series: list[float], metric: str = "aht") -> object:
    from csqm.improvement.findings import _change_draft
    from csqm.metrics import default_catalogue

    return _change_draft(series, default_catalogue()[metric], "agent", "A9", FIRST, SPLIT, STOP, DetectSettings())


def test_change_rule_step_trend_and_null() -> None:
    wobble = [0, 6, -4, 3, -5, 2, 5, -3, 4, -6, 1, -2]
    step = [400 + w for w in wobble[:8]] + [520 + w for w in wobble[8:]]
    found: Any = _change(step)
    assert found is not None and "Welch t" in found.evidence
    assert found.reference == pytest.approx(400.5)  # 400 + (0 + 6 - 4 + 3 - 5 + 2 + 5 - 3) / 8
    assert found.value == pytest.approx(519.25)  # 520 + (4 - 6 + 1 - 2) / 4
    ramp = [400 + 25 * i + w for i, w in enumerate(wobble)]  # gradual, like the demo's agent A2003
    found = _change(ramp)
    assert found is not None and found.p_value < 0.01 and found.value > found.reference
    assert _change([400 + w for w in wobble]) is None  # no change
    assert _change([520 + w for w in wobble[:8]] + [400 + w for w in wobble[8:]]) is None  # better, not worse
    assert _change(step, metric="answer_rate") is None  # higher is better: the same rise is good
    assert _change([float("nan")] * 10 + [500.0, 900.0]) is None  # too few weeks


# --- test calls (published results only) ----------------------------------------------------------


def _results(store: Store) -> None:
    import pyarrow as pa

    from csqm.testcalls.tables import ensure_tables as ensure_testcall_tables

    ensure_testcall_tables(store)
    at, pub = datetime(2026, 2, 10, 3), datetime(2026, 2, 11, 3)
    rows = [  # task, team, agent, fail codes, key points missed, published
        ("K1", "T1", "A1", "on_spot", "kp_refund", True),
        ("K2", "T1", "A1", "on_spot,attitude", "kp_refund,kp_fee", True),
        ("K3", "T1", "A2", "on_spot", "kp_fee", True),
        ("K4", "T1", "A2", None, None, True),
        ("K5", "T1", "A2", None, None, True),
        ("K6", "T2", "B1", "on_spot", "kp_refund", False),  # unpublished: confidential, never used
        ("K7", "T2", "B1", "on_spot", "kp_refund", False),
        ("K8", "T2", "B1", "on_spot", "kp_refund", False),
        ("K9", "T2", "B1", None, None, True),
    ]
    store.load_arrow(
        "testcall_results",
        pa.table(
            {
                "task_id": [r[0] for r in rows],
                "team_id": [r[1] for r in rows],
                "agent_id": [r[2] for r in rows],
                "executed_at": pa.array([at] * len(rows), pa.timestamp("us")),
                "passed": [r[3] is None for r in rows],
                "fail_codes": pa.array([r[3] for r in rows], pa.string()),
                "key_points_missed": pa.array([r[4] for r in rows], pa.string()),
                "published_at": pa.array([pub if r[5] else None for r in rows], pa.timestamp("us")),
            }
        ),
    )


def test_test_call_findings_and_needs(seeded: Store) -> None:
    # without the test-call tables nothing is found, and nothing fails
    assert detect(seeded, sources=["test_call"], start=INSPECTION_DAY, end=INSPECTION_DAY) == ([], 0)
    _results(seeded)
    new, _ = detect(seeded, sources=["test_call"], start=INSPECTION_DAY, end=INSPECTION_DAY)
    # T1: on_spot failed by 3 of 5 published tests (60 % ≥ 30 %); attitude by 1 (< 3); T2's failures unpublished
    assert [(f.scope_value, f.rule_id, f.value, f.source) for f in new] == [
        ("T1", "on_spot", pytest.approx(60.0), "test_call")
    ]
    needs = [n for n in training_needs(seeded, start=INSPECTION_DAY, end=INSPECTION_DAY) if n.source == "test_call"]
    # A1 missed kp_refund twice in 2 tests; A2 kp_fee once (< 2); team T1: kp_refund 2, kp_fee 2 of 5 tests
    assert sorted((n.level, n.agent_id, n.topic, n.failures, n.cases) for n in needs) == [
        ("agent", "A1", "key point kp_refund", 2, 2),
        ("team", None, "key point kp_fee", 2, 5),
        ("team", None, "key point kp_refund", 2, 5),
    ]


def test_verification_uses_the_significance_setting(seeded: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    a = create_action(
        seeded, username="qm", title="x", metric="answer_rate", scope_kind="team", scope_value="T1",
        effective_on=EFFECTIVE,
    )  # fmt: skip
    monkeypatch.setenv("CSQM_SIGNIFICANCE_LEVEL", "0.01")
    assert verify_action(seeded, a.action_id, username="qm", today=TODAY).alpha == 0.01
    assert verify_action(seeded, a.action_id, username="qm", today=TODAY, alpha=0.2).alpha == 0.2


def test_an_empty_store_says_what_to_do(store: Store) -> None:
    with pytest.raises(ImprovementError, match="no conversations in the store; ingest data first"):
        detect(store)
    assert list_findings(store) == [] and list_actions(store) == [] and overdue(store, today=TODAY) == []


def test_verification_over_everything_has_no_comparison(seeded: Store) -> None:
    a = create_action(seeded, username="qm", title="Centre-wide staffing", metric="answer_rate", scope_kind="all",
                      effective_on=EFFECTIVE)  # fmt: skip
    v = verify_action(seeded, a.action_id, username="qm", today=TODAY)
    # all teams: (12 + 15 + 15) · 28 = 1176 of 1680 before, (18 + 15 + 15) · 28 = 1344 of 1680 after
    assert (v.before_value, v.after_value) == (pytest.approx(70.0), pytest.approx(80.0))
    assert v.comparison is None and v.did_estimate is None and v.verdict == "improved"
    assert "no comparison group" in v.reason
