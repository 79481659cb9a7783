"""Storing and reading plans (T1) and scheduling their months (T3)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa

from csqm.store import Store
from csqm.testcalls.errors import TestcallError
from csqm.testcalls.model import Plan, Scenario
from csqm.testcalls.schedule import Task, plan_month
from csqm.testcalls.tables import ensure_tables


def now_utc() -> datetime:
    """Now, UTC, naive (how timestamps are stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


def save_plans(store: Store, plans: Iterable[Plan], *, source: str = "", by: str = "cli") -> list[str]:
    """Store (or replace) plans; a plan whose tasks were already executed keeps its id but is replaced
    only in definition — its tasks and results stay. When teams are loaded, a plan naming an unknown
    team is refused. Returns the plan ids."""
    ensure_tables(store)
    plans = list(plans)
    known = {str(t) for t in store.query('SELECT "team_id" FROM "teams"')["team_id"]}
    if known:  # an organisation is loaded: every team of a plan must be in it
        unknown = [f"{p.id}: {', '.join(sorted(set(p.teams) - known))}" for p in plans if set(p.teams) - known]
        if unknown:
            raise TestcallError(f"Plans name teams that are not in the store ({'; '.join(unknown)}).")
    ids: list[str] = []
    with store.transaction():
        for plan in plans:
            store.execute('DELETE FROM "testcall_plans" WHERE "plan_id" = ?', (plan.id,))
            store.execute(
                'INSERT INTO "testcall_plans" VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                (plan.id, plan.name, plan.quarter, plan.purpose, plan.model_dump_json(), source, by, now_utc()),
            )
            ids.append(plan.id)
    return ids


def get_plan(store: Store, plan_id: str) -> Plan:
    """The stored plan ``plan_id``."""
    ensure_tables(store)
    text = store.scalar('SELECT "definition" FROM "testcall_plans" WHERE "plan_id" = ?', (plan_id,))
    if not isinstance(text, str):
        raise TestcallError(f"There is no test-call plan {plan_id!r}; load it with `csqm testcalls plan FILE`.")
    return Plan.model_validate(json.loads(text))


def list_plans(store: Store) -> pd.DataFrame:
    """Plans with their task and result counts."""
    ensure_tables(store)
    return store.query(
        'SELECT p."plan_id", p."name", p."quarter", p."purpose", '
        '(SELECT count(*) FROM "testcall_tasks" t WHERE t."plan_id" = p."plan_id") AS "tasks", '
        '(SELECT count(*) FROM "testcall_results" r WHERE r."plan_id" = p."plan_id") AS "results", '
        '(SELECT count(*) FROM "testcall_results" r WHERE r."plan_id" = p."plan_id" AND r."published_at" IS NOT NULL) '
        'AS "published" FROM "testcall_plans" p ORDER BY p."quarter", p."plan_id"'
    )


def schedule(
    store: Store,
    plan_id: str,
    month: str,
    *,
    seed: int,
    scenarios: Mapping[str, Scenario],
    timezone: str = "Asia/Shanghai",
    replace: bool = False,
) -> list[Task]:
    """Schedule ``month`` of the stored plan and store its tasks. A month already scheduled is refused
    unless ``replace`` (and then only while none of its tasks has been executed)."""
    plan = get_plan(store, plan_id)
    tasks = plan_month(plan, scenarios, month, seed=seed, timezone=timezone)
    existing = int(
        store.scalar('SELECT count(*) FROM "testcall_tasks" WHERE "plan_id" = ? AND "month" = ?', (plan_id, month))
    )
    if existing and not replace:
        raise TestcallError(
            f"{month} of the plan {plan_id} is already scheduled ({existing} tasks); pass --replace to redo it."
        )
    done = int(
        store.scalar('SELECT count(*) FROM "testcall_results" WHERE "plan_id" = ? AND "month" = ?', (plan_id, month))
    )
    if done:
        raise TestcallError(
            f"{month} of the plan {plan_id} already has {done} executed tests; it cannot be rescheduled."
        )
    created = now_utc()
    with store.transaction():
        store.execute('DELETE FROM "testcall_tasks" WHERE "plan_id" = ? AND "month" = ?', (plan_id, month))
        if tasks:
            store.load_arrow("testcall_tasks", _arrow(tasks, seed, created))
    return tasks


def _arrow(tasks: list[Task], seed: int, created: datetime) -> pa.Table:
    cols: dict[str, list[object]] = {
        "task_id": [t.task_id for t in tasks],
        "plan_id": [t.plan_id for t in tasks],
        "month": [t.month for t in tasks],
        "kind": [t.kind for t in tasks],
        "team_id": [t.team_id for t in tasks],
        "channel": [t.channel for t in tasks],
        "scenario_id": [t.scenario_id for t in tasks],
        "time_slot": [t.time_slot for t in tasks],
        "scheduled_at": [t.scheduled_at for t in tasks],
        "tester_id": [t.tester_id for t in tasks],
        "tester_kind": [t.tester_kind for t in tasks],
        "status": ["scheduled"] * len(tasks),
        "seed": [seed] * len(tasks),
        "created_at": [created] * len(tasks),
    }
    schema = pa.schema(
        [
            (
                k,
                pa.timestamp("us")
                if k in ("scheduled_at", "created_at")
                else pa.int64()
                if k == "seed"
                else pa.string(),
            )
            for k in cols
        ]
    )
    return pa.table(cols, schema=schema)
