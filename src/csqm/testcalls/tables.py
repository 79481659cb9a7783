"""The tables the test-call programme writes, declared like ``csqm.store.schema`` (to be folded into the
schema migrations). :func:`ensure_tables` creates them idempotently until then.

Readers (the improvement loop) should use ``testcall_results``: one row per executed test with its
verdict (``passed``), the codes of the standards it failed (``fail_codes``) and the key points missed.
"""

from __future__ import annotations

import weakref

from csqm.store import Store
from csqm.store.schema import Column, ColumnType, Table


def _c(name: str, type_: ColumnType, doc: str, **kw: object) -> Column:
    return Column(name, type_, doc, **kw)  # type: ignore[arg-type]


TESTCALL_PLANS = Table(
    "testcall_plans",
    "Quarterly test-call plans (T1): purpose, scope, scenarios, testers and standards; the validated YAML as JSON.",
    (
        _c("plan_id", "text", "Plan id.", nullable=False),
        _c("name", "text", "Plan name."),
        _c("quarter", "text", "Quarter, e.g. 2026Q1."),
        _c("purpose", "text", "Purpose of the plan."),
        _c("definition", "text", "The whole validated plan as JSON (channels, teams, quota, testers, standards …)."),
        _c("source", "text", "File it was loaded from."),
        _c("created_by", "text", "User who stored it."),
        _c("created_at", "timestamp", "When it was stored (UTC).", unit="UTC"),
    ),
    key=("plan_id",),
    group="outcomes",
    ingestable=False,
)

TESTCALL_TASKS = Table(
    "testcall_tasks",
    "Scheduled test calls (T3): the monthly quota and unannounced spot checks, each assigned to one tester. "
    "Confidential: never shown to agents or team leads.",
    (
        _c("task_id", "text", "Task id: <plan>-<YYYY-MM>-Q<n> (quota) or -S<n> (spot check).", nullable=False),
        _c("plan_id", "text", "Plan.", nullable=False),
        _c("month", "text", "Month scheduled, YYYY-MM in the reporting zone."),
        _c("kind", "text", "quota or spot_check.", values=("quota", "spot_check")),
        _c("team_id", "text", "Team tested."),
        _c("channel", "text", "Channel tested."),
        _c("scenario_id", "text", "Scenario to play."),
        _c("time_slot", "text", "morning, afternoon or evening (local).", values=("morning", "afternoon", "evening")),
        _c("scheduled_at", "timestamp", "When to run it (UTC).", unit="UTC"),
        _c("tester_id", "text", "Tester account (console username) or robot id."),
        _c("tester_kind", "text", "internal, external or robot.", values=("internal", "external", "robot")),
        _c("status", "text", "scheduled or done.", values=("scheduled", "done")),
        _c("seed", "int", "Seed of the schedule run that created it."),
        _c("created_at", "timestamp", "When scheduled (UTC).", unit="UTC"),
    ),
    key=("task_id",),
    group="outcomes",
    ingestable=False,
    indexes=(("plan_id", "month"), ("tester_id",)),
)

TESTCALL_RESULTS = Table(
    "testcall_results",
    "Executed test calls (T4) with their evaluation against the standards (T5); visible to the service "
    "department only once published_at is set.",
    (
        _c("task_id", "text", "Task executed.", nullable=False),
        _c("plan_id", "text", "Plan."),
        _c("month", "text", "Month of the task, YYYY-MM."),
        _c("kind", "text", "quota or spot_check."),
        _c("tester_id", "text", "Who executed it."),
        _c("team_id", "text", "Team tested."),
        _c("agent_id", "text", "Agent who answered, when known."),
        _c("channel", "text", "Channel."),
        _c("scenario_id", "text", "Scenario played."),
        _c("executed_at", "timestamp", "When the test was made (UTC).", unit="UTC"),
        _c("answered", "bool", "Answered at all."),
        _c("rings", "int", "Rings before answer (phone).", unit="count", minimum=0),
        _c("first_response_seconds", "float", "Seconds to the first response (online, e-mail).", unit="s", minimum=0),
        _c("transcript", "text", "Transcript, one 'speaker: text' line per turn, masked."),
        _c("notes", "text", "Tester's notes, masked."),
        _c("key_points_total", "int", "Key points of the scenario.", unit="count", minimum=0),
        _c("key_points_covered", "text", "Ids of the key points the answer covered, comma-separated."),
        _c("key_points_missed", "text", "Ids of the key points it missed, comma-separated."),
        _c("resolved_on_spot", "bool", "Resolved during the test."),
        _c("follow_up_promised", "bool", "The agent promised a follow-up."),
        _c("follow_up_deadline", "timestamp", "Deadline of the follow-up (UTC).", unit="UTC"),
        _c("follow_up_resolved_at", "timestamp", "When the follow-up resolved it (UTC); null while open.", unit="UTC"),
        _c("knowledge_errors", "int", "Wrong statements about products or rules.", unit="count", minimum=0),
        _c("attitude", "float", "Attitude rating 1–5.", minimum=1, maximum=5),
        _c("clarity", "float", "Clarity rating 1–5.", minimum=1, maximum=5),
        _c("accuracy", "float", "Accuracy rating 1–5.", minimum=1, maximum=5),
        _c("inspection_score", "float", "Score of the transcript on the inspection scorecard.", minimum=0, maximum=100),
        _c("inspection_passed", "bool", "The transcript passed its inspection scorecard."),
        _c("scorecard_id", "text", "Inspection scorecard used."),
        _c("inspection_findings", "text", "Rule ids the inspection found, comma-separated."),
        _c("passed", "bool", "The test meets every standard (a follow-up still within its deadline does not fail it)."),
        _c("fail_codes", "text", "Codes of the standards it failed, comma-separated (see docs/testcalls.md)."),
        _c("fail_reasons", "text", "The reasons, one sentence each, '; '-separated."),
        _c("source", "text", "csv, api, form, cli or robot.", values=("csv", "api", "form", "cli", "robot")),
        _c("recorded_by", "text", "User who recorded it."),
        _c("recorded_at", "timestamp", "When recorded (UTC).", unit="UTC"),
        _c(
            "published_at",
            "timestamp",
            "When the test-call manager published it (UTC); null: confidential.",
            unit="UTC",
        ),
    ),
    key=("task_id",),
    group="outcomes",
    ingestable=False,
    indexes=(("plan_id", "month"), ("team_id",), ("agent_id",)),
)

TESTCALL_TABLES = (TESTCALL_PLANS, TESTCALL_TASKS, TESTCALL_RESULTS)


_ENSURED: weakref.WeakSet[Store] = weakref.WeakSet()


def ensure_tables(store: Store, tables: tuple[Table, ...] = TESTCALL_TABLES) -> None:
    """Create the tables and their indexes if missing (idempotent; once per open store for the defaults)."""
    if tables is TESTCALL_TABLES and store in _ENSURED:
        return
    store.create_tables(tables)
    if tables is TESTCALL_TABLES:
        _ENSURED.add(store)
