"""Scheduling: quotas met exactly, balanced times of day and testers, spot checks reproducible with a seed."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from csqm.store import Store
from csqm.testcalls import Plan, Scenario, TestcallError, largest_remainder, plan_month, schedule
from csqm.testcalls.model import ONLINE_CHANNELS


def test_largest_remainder_hand_computed() -> None:
    # 10 over weights 1:1:1 → 3.33 each, one extra seat to one of three equal remainders
    out = largest_remainder(10, {"a": 1, "b": 1, "c": 1}, random.Random(0))
    assert sum(out.values()) == 10 and sorted(out.values()) == [3, 3, 4]
    # 7 over 5:3:2 → 3.5, 2.1, 1.4 → floors 3, 2, 1 (6); the largest remainder (a, .5) gets the 7th
    assert largest_remainder(7, {"a": 5, "b": 3, "c": 2}, random.Random(0)) == {"a": 4, "b": 2, "c": 1}
    assert largest_remainder(0, {"a": 1}, random.Random(0)) == {"a": 0}
    with pytest.raises(TestcallError):
        largest_remainder(3, {"a": 0.0}, random.Random(0))


@pytest.mark.parametrize("quota", [1, 7, 10, 13, 100])
def test_quota_met_exactly_and_spread(plan: Plan, scenarios: dict[str, Scenario], quota: int) -> None:
    p = plan.model_copy(update={"monthly_quota": quota})
    tasks = plan_month(p, scenarios, "2026-02", seed=5)
    quota_tasks = [t for t in tasks if t.kind == "quota"]
    assert len(quota_tasks) == quota
    assert sum(1 for t in tasks if t.kind == "spot_check") == plan.spot_checks_per_month
    cells = Counter((t.team_id, t.channel) for t in quota_tasks)
    fair = quota / 4  # 2 teams × 2 channels, equal weights
    assert all(abs(cells.get((team, ch), 0) - fair) < 1 for team in p.teams for ch in p.channels)
    slots = Counter(t.time_slot for t in quota_tasks)
    assert max(slots.values()) - min(slots.values()) <= 1 or quota < 3
    assert all(t.month == "2026-02" and t.scheduled_at.month == 2 for t in tasks)  # 09:00+ local is the same UTC day
    for t in tasks:
        assert scenarios[t.scenario_id].channel == t.channel


def test_team_weights(plan: Plan, scenarios: dict[str, Scenario]) -> None:
    p = plan.model_copy(update={"monthly_quota": 12, "team_weights": {"T1": 2.0, "T2": 1.0}})
    quota = [t for t in plan_month(p, scenarios, "2026-01", seed=1) if t.kind == "quota"]
    assert Counter(t.team_id for t in quota) == {"T1": 8, "T2": 4}


def test_reproducible_with_seed(plan: Plan, scenarios: dict[str, Scenario]) -> None:
    a = plan_month(plan, scenarios, "2026-03", seed=42)
    b = plan_month(plan, scenarios, "2026-03", seed=42)
    c = plan_month(plan, scenarios, "2026-03", seed=43)
    assert a == b
    spot = [t for t in a if t.kind == "spot_check"]
    assert spot == [t for t in b if t.kind == "spot_check"]
    assert [(t.team_id, t.channel, t.scheduled_at) for t in spot] != [
        (t.team_id, t.channel, t.scheduled_at) for t in c if t.kind == "spot_check"
    ]
    # more spot checks do not move the quota tasks (separate random streams)
    more = plan.model_copy(update={"spot_checks_per_month": 9})
    q1 = [(t.task_id, t.team_id, t.channel, t.scheduled_at) for t in a if t.kind == "quota"]
    q2 = [
        (t.task_id, t.team_id, t.channel, t.scheduled_at)
        for t in plan_month(more, scenarios, "2026-03", seed=42)
        if t.kind == "quota"
    ]
    assert q1 == q2


def test_testers_balanced_and_robot_only_online(plan: Plan, scenarios: dict[str, Scenario]) -> None:
    p = plan.model_copy(update={"monthly_quota": 60, "spot_checks_per_month": 0})
    tasks = plan_month(p, scenarios, "2026-01", seed=3)
    load = Counter(t.tester_id for t in tasks)
    robot = [t for t in tasks if t.tester_kind == "robot"]
    assert robot and all(t.channel in ONLINE_CHANNELS for t in robot)
    # 30 phone + 30 chat; robot takes only chat, so humans share phone: 60 tasks / 3 testers = 20 each
    assert load == {"u_tester": 20, "agency1": 20, "robot1": 20}


def test_month_outside_quarter_and_no_eligible_tester(plan: Plan, scenarios: dict[str, Scenario]) -> None:
    with pytest.raises(TestcallError, match="outside the plan's quarter"):
        plan_month(plan, scenarios, "2026-04", seed=1)
    only_robot = plan.model_copy(update={"testers": tuple(t for t in plan.testers if t.robot)})
    with pytest.raises(TestcallError, match=r"No tester .* can test the channel 'phone'"):
        plan_month(only_robot, scenarios, "2026-01", seed=1)


def test_schedule_stored_refuses_twice(scheduled: Store, plan: Plan, scenarios: dict[str, Scenario]) -> None:
    stored = scheduled.query('SELECT * FROM "testcall_tasks" ORDER BY "task_id"')
    expected = plan_month(plan, scenarios, "2026-01", seed=1)
    assert sorted(stored["task_id"]) == sorted(t.task_id for t in expected)
    assert set(stored["status"]) == {"scheduled"}
    with pytest.raises(TestcallError, match="already scheduled"):
        schedule(scheduled, plan.id, "2026-01", seed=2, scenarios=scenarios)
    again = schedule(scheduled, plan.id, "2026-01", seed=2, scenarios=scenarios, replace=True)
    assert int(scheduled.scalar('SELECT count(*) FROM "testcall_tasks"')) == len(again)
    assert set(scheduled.query('SELECT "seed" FROM "testcall_tasks"')["seed"]) == {2}
