"""Test-call benchmark: scheduling, CSV import (masking + inspection + verdict per row), reports and the
robot tester, on the embedded store.

- schedule: ``plan_month`` for a month of ``--quota`` tasks over 6 teams × 2 channels and 12 testers;
- import: ``--rows`` results with 4-turn transcripts imported by ``import_csv`` (one transaction),
  against the baseline of recording the same rows one by one with ``record_result`` (same run, fresh
  store each);
- report: ``build_report`` by team over ``--report-rows`` synthetic results;
- robot: ``run_task`` against the shipped FAQ bot on loopback, per task.

    .venv/bin/python -P benchmarks/testcalls.py     # quota 5000, 500 rows, 20000 report rows, 3 runs
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from csqm.settings import Settings
from csqm.store import Store, open_store
from csqm.testcalls import (
    BotServer,
    HttpJsonAdapter,
    Plan,
    RecordInput,
    Standards,
    Tester,
    build_report,
    import_csv,
    load_scenarios,
    plan_month,
    record_result,
    run_task,
    save_plans,
    schedule,
)

SCENARIOS = ("phone.delivery_status", "phone.angry_refund", "chat.delivery_status", "chat.refund_policy")


def _plan(quota: int) -> Plan:
    testers = (*(Tester(id=f"t{i}") for i in range(11)), Tester(id="robot", robot=True, channels=("chat",)))
    return Plan(
        id="bench", name="bench", quarter="2026Q1", purpose="benchmark", channels=("phone", "chat"),
        teams=tuple(f"T{i}" for i in range(6)), monthly_quota=quota, spot_checks_per_month=quota // 20,
        scenarios=SCENARIOS, testers=testers,
    )  # fmt: skip


def _store(tmp: Path, name: str) -> Store:
    return open_store(settings=Settings(data_dir=tmp / name, secret="bench-secret-0123456789abcdef"))


_TRANSCRIPT = (
    '"坐席: 您好，很高兴为您服务\n客户: 我的手机是13812345678，订单什么时候发货？\n'
    '坐席: 付款后48小时内发货，可在订单详情查看物流\n坐席: 感谢来电，再见"'
)
_HEADER = "task_id,answered,rings,first_response_seconds,key_points_covered,resolved_on_spot,attitude,clarity,accuracy"


def _csv(tasks: list[Any]) -> str:
    lines = [_HEADER + ",transcript"]
    rng = random.Random(1)
    for t in tasks:
        rings = str(rng.randint(1, 5)) if t.channel == "phone" else ""
        frs = "" if t.channel == "phone" else str(rng.randint(3, 90))
        lines.append(f"{t.task_id},yes,{rings},{frs},,{rng.choice(['yes', 'no'])},5,4,4,{_TRANSCRIPT}")
    return "\n".join(lines) + "\n"


def _result_row(i: int, rng: random.Random) -> dict[str, Any]:
    return {
        "task_id": f"r{i}", "month": f"2026-0{1 + i % 3}", "team_id": f"T{i % 6}", "agent_id": f"A{i % 60}",
        "scenario_id": SCENARIOS[i % 4], "channel": "phone" if i % 2 else "chat",
        "answered": rng.random() < 0.95, "rings": rng.randint(1, 5), "first_response_seconds": rng.uniform(1, 120),
        "resolved_on_spot": rng.random() < 0.7, "follow_up_promised": rng.random() < 0.2,
        "follow_up_deadline": datetime(2026, 1, 10),
        "follow_up_resolved_at": datetime(2026, 1, 9) if rng.random() < 0.8 else None,
        "key_points_total": 3, "key_points_covered": "a,b" if rng.random() < 0.3 else "a,b,c",
        "key_points_missed": "c", "knowledge_errors": int(rng.random() < 0.05),
        "attitude": float(rng.randint(2, 5)), "clarity": float(rng.randint(2, 5)),
        "accuracy": float(rng.randint(2, 5)), "inspection_score": rng.uniform(50, 100),
        "inspection_passed": rng.random() < 0.8,
    }  # fmt: skip


def _median(times: list[float]) -> float:
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quota", type=int, default=5000)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--report-rows", type=int, default=20000)
    parser.add_argument("--robot-tasks", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    scenarios = load_scenarios()
    plan = _plan(args.quota)

    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        tasks = plan_month(plan, scenarios, "2026-01", seed=1)
        times.append(time.perf_counter() - t0)
    print(f"schedule: {len(tasks):,} tasks in {_median(times):.3f} s (median of {args.runs})")

    small = _plan(args.rows)
    text1 = "坐席: 您好\n客户: 13812345678 订单发货？\n坐席: 48小时内发货"
    batch, single = [], []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for run in range(args.runs):
            for mode in ("batch", "single"):
                store = _store(tmp, f"{mode}{run}")
                save_plans(store, [small])
                stored = [
                    t for t in schedule(store, "bench", "2026-01", seed=1, scenarios=scenarios) if t.kind == "quota"
                ]
                text = _csv(stored[: args.rows])
                t0 = time.perf_counter()
                if mode == "batch":
                    import_csv(store, "bench.csv", scenarios=scenarios, by="bench", text=text)
                    batch.append(time.perf_counter() - t0)
                else:
                    for t in stored[: args.rows]:
                        data = RecordInput(task_id=t.task_id, answered=True, resolved_on_spot=True, transcript=text1)
                        record_result(store, data, scenarios=scenarios, by="bench")
                    single.append(time.perf_counter() - t0)
                store.close()
        b, s = _median(batch), _median(single)
        print(f"import: {args.rows:,} rows in {b:.2f} s ({args.rows / b:,.0f} rows/s) vs one by one {s:.2f} s "
              f"({args.rows / s:,.0f} rows/s): {s / b:.1f}x")  # fmt: skip

        rng = random.Random(2)
        rows = [_result_row(i, rng) for i in range(args.report_rows)]
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            build_report(rows, Standards(), by="team", as_of=datetime(2026, 4, 1))
            times.append(time.perf_counter() - t0)
        print(f"report: {args.report_rows:,} results by team in {_median(times):.2f} s (median of {args.runs})")

        store = _store(tmp, "robot")
        save_plans(store, [_plan(args.robot_tasks * 12)])
        tasks = [
            t for t in schedule(store, "bench", "2026-01", seed=1, scenarios=scenarios) if t.tester_kind == "robot"
        ]
        per = []
        with BotServer() as bot:
            adapter = HttpJsonAdapter(bot.url)
            for t in tasks[: args.robot_tasks]:
                t0 = time.perf_counter()
                run_task(
                    store,
                    t.task_id,
                    adapter,
                    scenarios=scenarios,
                    timeout=5,
                    at=datetime(2026, 1, 1) + timedelta(hours=1),
                )
                per.append(time.perf_counter() - t0)
        store.close()
        print(f"robot: {len(per)} tasks, median {_median(per) * 1000:.0f} ms per task (2 steps, inspected, stored)")


if __name__ == "__main__":
    sys.exit(main())
