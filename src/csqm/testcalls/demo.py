"""``demo_programme``: a quarter's test-call plan on the demo organisation, scheduled, executed (the
online tasks by the robot tester against the shipped FAQ bot started in-process, the others simulated as
a human tester would record them), two months published."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from csqm.store import Store
from csqm.testcalls.bot import BotServer
from csqm.testcalls.loading import load_scenarios
from csqm.testcalls.model import Plan, Scenario, Tester
from csqm.testcalls.plans import save_plans, schedule
from csqm.testcalls.records import RecordInput, publish, record_result, rows_of
from csqm.testcalls.robot import HttpJsonAdapter, run_task
from csqm.testcalls.tables import ensure_tables

DEMO_SCENARIOS = (
    "phone.delivery_status",
    "phone.invoice_change",
    "phone.angry_refund",
    "phone.urgent_card_lost",
    "chat.delivery_status",
    "chat.refund_policy",
    "chat.angry_delay",
    "chat.urgent_account_locked",
)


def _quarter(store: Store) -> str:
    """The quarter of the latest conversation (the demo data's), else the current one."""
    latest = store.scalar('SELECT max("offered_at") FROM "interactions"')
    when = latest if isinstance(latest, datetime) else datetime.now(UTC)
    return f"{when.year}Q{(when.month - 1) // 3 + 1}"


def _simulate(
    rng: random.Random, task: dict[str, Any], scenario: Scenario, weak: bool, agents: list[str]
) -> RecordInput:
    answered = rng.random() < (0.85 if weak else 0.95)
    skill = 0.6 if weak else 0.85
    covered = [k for k in scenario.key_points if rng.random() < skill]
    resolved = answered and len(covered) == len(scenario.key_points) and rng.random() < 0.9
    promised = answered and not resolved and rng.random() < 0.8
    executed: datetime = task["scheduled_at"]
    deadline = executed + timedelta(days=2)
    resolved_at = None
    if promised and rng.random() < (0.7 if weak else 0.9):
        resolved_at = executed + timedelta(hours=rng.randint(2, 40))
    lines = []
    if answered:
        lines.append("坐席: 您好，很高兴为您服务。")
        for step in scenario.steps:
            lines.append(f"客户: {step}")
        lines.append("坐席: " + "，".join(k.text for k in covered) + "。" if covered else "坐席: 这个我不太清楚。")
        lines.append("坐席: 请问还有其他可以帮您的吗？感谢您的来电，再见。")
    base = 3.4 if weak else 4.3

    def rating() -> float:
        return float(max(1, min(5, round(rng.gauss(base, 0.6)))))

    return RecordInput(
        task_id=task["task_id"],
        executed_at=executed.replace(tzinfo=UTC),
        agent_id=rng.choice(agents) if agents and answered else None,
        answered=answered,
        rings=rng.choice([1, 2, 2, 3, 3, 4, 5] if weak else [1, 1, 2, 2, 3])
        if task["channel"] == "phone" and answered
        else None,
        first_response_seconds=float(rng.randint(5, 90)) if task["channel"] != "phone" and answered else None,
        transcript="\n".join(lines) or None,
        key_points_covered=[k.id for k in covered],
        resolved_on_spot=resolved,
        follow_up_promised=promised,
        follow_up_deadline=deadline.replace(tzinfo=UTC) if promised else None,
        follow_up_resolved_at=resolved_at.replace(tzinfo=UTC) if resolved_at else None,
        knowledge_errors=1 if answered and rng.random() < (0.15 if weak else 0.03) else 0,
        attitude=rating() if answered else None,
        clarity=rating() if answered else None,
        accuracy=rating() if answered else None,
    )


def demo_programme(store: Store, *, seed: int, quarter: str | None = None, monthly_quota: int = 24) -> dict[str, Any]:
    """Create, schedule and execute a demo quarter; returns counts. Needs ``teams`` (and ``agents``) rows."""
    ensure_tables(store)
    scenarios = load_scenarios()
    teams = [str(t) for t in store.query('SELECT "team_id" FROM "teams" ORDER BY "team_id"')["team_id"]][:4]
    if not teams:
        teams = ["T1", "T2"]
    quarter = quarter or _quarter(store)
    plan = Plan(
        id=f"demo-{quarter.lower()}",
        name=f"{quarter} 季度拨测计划 (demo)",
        quarter=quarter,
        purpose="检验各组当场解决率、响应速度、服务态度和业务知识，找出薄弱环节",
        channels=("phone", "chat"),
        teams=tuple(teams),
        business_lines=("ToC", "ToB"),
        monthly_quota=monthly_quota,
        spot_checks_per_month=3,
        scenarios=DEMO_SCENARIOS,
        testers=(
            Tester(id="tester1", kind="internal"),
            Tester(id="agency_a", kind="external", agency="外部拨测机构A", channels=("phone",)),
            Tester(id="robot", kind="internal", robot=True, channels=("chat",)),
        ),
    )
    save_plans(store, [plan], source="demo", by="demo")
    rng = random.Random(seed)
    agents_by_team: dict[str, list[str]] = {}
    for row in rows_of(store.query('SELECT "agent_id", "team_id" FROM "agents"')):
        agents_by_team.setdefault(str(row["team_id"]), []).append(str(row["agent_id"]))
    weak_team = teams[-1]
    counts = {"tasks": 0, "robot": 0, "human": 0, "published": 0}
    with BotServer() as bot:
        adapter = HttpJsonAdapter(bot.url)
        for month in plan.months:
            tasks = schedule(store, plan.id, month, seed=seed, scenarios=scenarios, replace=True)
            counts["tasks"] += len(tasks)
            for task in tasks:
                if task.tester_kind == "robot":
                    run_task(store, task.task_id, adapter, scenarios=scenarios, timeout=5, at=task.scheduled_at)
                    counts["robot"] += 1
                    continue
                data = _simulate(
                    rng,
                    task.__dict__,
                    scenarios[task.scenario_id],
                    task.team_id == weak_team,
                    agents_by_team.get(task.team_id, []),
                )
                record_result(store, data, scenarios=scenarios, by=task.tester_id, source="form")
                counts["human"] += 1
    for month in plan.months[:2]:
        counts["published"] += publish(store, plan.id, month=month)
    return {"plan_id": plan.id, **counts}
