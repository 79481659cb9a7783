"""Each test and each aggregate against the standards, with hand-computed results, and the report
statistics (mean, sample std, Pearson r, trend) computed by hand."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pytest

from csqm.testcalls import Standards, aggregates, build_report, evaluate, pearson, stdev
from csqm.testcalls.reports import slope

STD = Standards()
EARLY, LATE = datetime(2026, 1, 5), datetime(2026, 1, 11)


def _row(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "channel": "phone", "answered": True, "rings": 2, "first_response_seconds": None, "resolved_on_spot": True,
        "follow_up_promised": False, "follow_up_deadline": None, "follow_up_resolved_at": None,
        "key_points_total": 2, "key_points_covered": "a,b", "knowledge_errors": 0,
        "attitude": 5.0, "clarity": 5.0, "accuracy": 4.0, "inspection_passed": None, "inspection_score": None,
        "month": "2026-01", "team_id": "T1", "agent_id": "A1", "scenario_id": "s1", "key_points_missed": "",
    }  # fmt: skip
    base.update(kw)
    return base


R1 = _row()
R2 = _row(
    rings=5, resolved_on_spot=False, follow_up_promised=True, follow_up_deadline=datetime(2026, 1, 3),
    follow_up_resolved_at=datetime(2026, 1, 4), key_points_covered="a", key_points_missed="b", knowledge_errors=1,
    attitude=3.0, clarity=3.0, accuracy=3.0, team_id="T2", agent_id="B1", month="2026-02",
)  # fmt: skip
R3 = _row(answered=False, rings=None, resolved_on_spot=False, attitude=None, clarity=None, accuracy=None, team_id="T2")
R4 = _row(
    channel="chat", rings=None, first_response_seconds=90.0, attitude=4.0, clarity=4.0, accuracy=4.0, month="2026-02"
)
R5 = _row(
    rings=3, resolved_on_spot=False, follow_up_promised=True, follow_up_deadline=datetime(2026, 1, 10),
    attitude=4.0, clarity=5.0, accuracy=5.0, month="2026-03",
)  # fmt: skip
ROWS = [R1, R2, R3, R4, R5]


def test_each_test() -> None:
    assert evaluate(R1, STD, as_of=EARLY).passed
    v2 = evaluate(R2, STD, as_of=EARLY)
    assert not v2.passed
    assert v2.codes == ("slow_answer", "follow_up_late", "knowledge", "key_points", "unsatisfied")
    assert "Answered after 5 rings (standard: within 3)." in v2.reasons
    assert "1 knowledge error(s) in 2 key points (50.0% > 5%)." in v2.reasons
    assert "Covered 1 of 2 key points (50.0% < 80%)." in v2.reasons
    assert evaluate(R3, STD, as_of=EARLY).codes == ("not_answered",)
    assert evaluate(R4, STD, as_of=EARLY).codes == ("slow_response",)  # 90 s > 1 minute
    open_, overdue = evaluate(R5, STD, as_of=EARLY), evaluate(R5, STD, as_of=LATE)
    assert open_.passed and open_.follow_up_open
    assert overdue.codes == ("follow_up_late",)
    assert evaluate(_row(resolved_on_spot=False), STD, as_of=EARLY).codes == ("unresolved",)
    assert evaluate(_row(inspection_passed=False, inspection_score=60.0), STD, as_of=EARLY).codes == ("inspection",)
    # exactly at the limits passes: 3 rings, 60 s, mean rating 4.0, coverage 80 %
    assert evaluate(_row(rings=3), STD, as_of=EARLY).passed
    assert evaluate(_row(channel="chat", rings=None, first_response_seconds=60.0), STD, as_of=EARLY).passed
    assert evaluate(_row(attitude=4.0, clarity=4.0, accuracy=4.0), STD, as_of=EARLY).passed
    assert evaluate(_row(key_points_total=5, key_points_covered="a,b,c,d"), STD, as_of=EARLY).passed
    # custom standards change the verdict
    assert evaluate(R2, Standards(phone_max_rings=5, knowledge_error_rate_max=50, key_point_coverage_min=50,
                                  satisfied_rating=3), as_of=EARLY).codes == ("follow_up_late",)  # fmt: skip


def test_aggregates_hand_computed() -> None:
    aggs = {a.code: a for a in aggregates(ROWS, STD, as_of=EARLY)}
    # answered: R1 R2 R4 R5; resolved on the spot: R1 R4 → 2/4
    assert (aggs["on_spot_resolution"].numerator, aggs["on_spot_resolution"].denominator) == (2, 4)
    assert aggs["on_spot_resolution"].value == 50.0 and aggs["on_spot_resolution"].passed is False
    # follow-ups due on Jan 5: only R2 (late) → 0/1; R5 is not due yet
    assert (aggs["follow_up_resolution"].numerator, aggs["follow_up_resolution"].denominator) == (0, 1)
    # within the limit: R1 (2 rings), R5 (3 rings); not R2 (5 rings), R3 (unanswered), R4 (90 s) → 2/5
    assert aggs["response_within_limit"].value == 40.0
    # rating means 4.67, 3, 4, 4.67 → satisfied 3 of 4
    assert aggs["satisfaction"].value == 75.0 and aggs["satisfaction"].passed is False
    # knowledge errors 1 over 8 key points asked
    assert aggs["knowledge_error_rate"].value == 12.5 and aggs["knowledge_error_rate"].passed is False
    # covered 2 + 1 + 2 + 2 of 8 = 87.5 %
    assert aggs["key_point_coverage"].value == 87.5 and aggs["key_point_coverage"].passed is True
    assert aggs["key_point_coverage"].reason() == "Key point coverage 87.5% (7/8) meets the standard ≥ 80%."
    late = {a.code: a for a in aggregates(ROWS, STD, as_of=LATE)}
    assert (late["follow_up_resolution"].numerator, late["follow_up_resolution"].denominator) == (0, 2)
    empty = {a.code: a for a in aggregates([], STD, as_of=EARLY)}
    assert all(a.value is None and a.passed is None for a in empty.values())


def test_statistics_by_hand() -> None:
    assert stdev([2.0]) is None and pearson([1, 2], [1, 2]) is None and pearson([1, 1, 1], [1, 2, 3]) is None
    assert stdev([2, 5, 3]) == pytest.approx(math.sqrt(((4 / 3) ** 2 + (5 / 3) ** 2 + (1 / 3) ** 2) / 2))
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert slope([50.0, 60.0, 80.0]) == pytest.approx(15.0)  # least squares over months 0, 1, 2


def test_report_hand_computed() -> None:
    report = build_report(ROWS, STD, by="team", as_of=EARLY)
    rating = report.overall.stats["rating"]
    # ratings of answered tests: 14/3, 3, 4, 14/3 → mean 49/12; deviations 7/12, -13/12, -1/12, 7/12
    assert rating["n"] == 4
    assert rating["mean"] == pytest.approx(49 / 12)
    assert rating["std"] == pytest.approx(math.sqrt((49 + 169 + 1 + 49) / 144 / 3))
    rings = report.overall.stats["rings"]
    assert rings["n"] == 3
    assert rings["mean"] == pytest.approx(10 / 3) and rings["std"] == pytest.approx(math.sqrt(21 / 9))
    (corr,) = [c for c in report.correlations if (c["x"], c["y"]) == ("rating", "resolved_on_spot")]
    # x deviations as above, y = 1, 0, 1, 0 (mean .5): sxy = .5, sxx = 268/144, syy = 1
    assert corr["n"] == 4 and corr["r"] == pytest.approx(0.5 / math.sqrt(268 / 144))
    assert report.overall.passed_pct == 40.0  # R1 and R5 (follow-up not yet due) of 5
    teams = {g.group: g for g in report.groups}
    assert teams["T1"].tests == 3 and teams["T2"].tests == 2
    assert teams["T2"].answered_pct == 50.0
    assert [t["month"] for t in report.trend] == ["2026-01", "2026-02", "2026-03"]
    # pass % by month: Jan R1 R3 → 50; Feb R2 R4 → 0; Mar R5 → 100 → slope (100 - 50) / 2 = 25
    assert [t["passed_pct"] for t in report.trend] == [50.0, 0.0, 100.0]
    assert report.trend_slope["passed_pct"] == pytest.approx(25.0)
    weak = {(w["dimension"], w["group"]): w for w in report.weak_links}
    assert "on_spot_resolution" in weak[("team", "T2")]["failed"]
    codes = {p["code"]: p["tests"] for p in report.common_problems}
    assert codes == {"slow_answer": 1, "follow_up_late": 1, "knowledge": 1, "key_points": 1, "unsatisfied": 1,
                     "not_answered": 1, "slow_response": 1}  # fmt: skip
    assert report.missed_key_points == [{"scenario_id": "s1", "key_point": "b", "tests": 1}]


def test_report_bad_dimension() -> None:
    from csqm.testcalls import TestcallError

    with pytest.raises(TestcallError, match="Cannot group a report by 'colour'"):
        build_report(ROWS, STD, by="colour", as_of=EARLY)
