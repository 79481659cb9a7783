"""Test-call (拨测) programmes: plans, scenarios, scheduling, execution records, standards, reports,
confidentiality and a robot tester (T1–T8)::

    from csqm.testcalls import load_scenarios, load_plans, save_plans, schedule, record_result, build_report
    scenarios = load_scenarios()                         # the shipped library (+ your files)
    save_plans(store, load_plans("plans.yaml", scenarios))
    tasks = schedule(store, "2026q1", "2026-01", seed=7, scenarios=scenarios)
    with BotServer() as bot:                              # the shipped FAQ bot on a free port
        run_task(store, task_id, HttpJsonAdapter(bot.url), scenarios=scenarios)

Tables: ``testcall_plans``, ``testcall_tasks``, ``testcall_results`` (see ``docs/testcalls.md``).
"""

from __future__ import annotations

from csqm.testcalls.bot import BotServer, FaqBot
from csqm.testcalls.demo import demo_programme
from csqm.testcalls.errors import Forbidden, TestcallError, TestcallFileError
from csqm.testcalls.loading import load_faq, load_plans, load_scenarios
from csqm.testcalls.model import KeyPoint, Plan, Scenario, Standards, Tester
from csqm.testcalls.plans import get_plan, list_plans, save_plans, schedule
from csqm.testcalls.records import (
    RecordInput,
    import_csv,
    parse_transcript,
    publish,
    record_result,
    refresh_overdue,
    update_follow_up,
)
from csqm.testcalls.reports import Report, build_report, export, pearson, stdev
from csqm.testcalls.robot import AdapterError, ChatAdapter, HttpJsonAdapter, RobotRun, due_robot_tasks, play, run_task
from csqm.testcalls.schedule import Task, largest_remainder, plan_month
from csqm.testcalls.standards import Aggregate, Verdict, aggregates, evaluate
from csqm.testcalls.tables import TESTCALL_TABLES, ensure_tables

__all__ = [
    "TESTCALL_TABLES",
    "AdapterError",
    "Aggregate",
    "BotServer",
    "ChatAdapter",
    "FaqBot",
    "Forbidden",
    "HttpJsonAdapter",
    "KeyPoint",
    "Plan",
    "RecordInput",
    "Report",
    "RobotRun",
    "Scenario",
    "Standards",
    "Task",
    "TestcallError",
    "TestcallFileError",
    "Tester",
    "Verdict",
    "aggregates",
    "build_report",
    "demo_programme",
    "due_robot_tasks",
    "ensure_tables",
    "evaluate",
    "export",
    "get_plan",
    "import_csv",
    "largest_remainder",
    "list_plans",
    "load_faq",
    "load_plans",
    "load_scenarios",
    "parse_transcript",
    "pearson",
    "plan_month",
    "play",
    "publish",
    "record_result",
    "refresh_overdue",
    "run_task",
    "save_plans",
    "schedule",
    "stdev",
    "update_follow_up",
]
