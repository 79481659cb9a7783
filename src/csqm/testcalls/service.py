"""Confidentiality (T6), enforced here for every caller (routes are thin):

=====================  ==========  ======================  ===========================================
role                   plans       tasks (the schedule)    results and reports
=====================  ==========  ======================  ===========================================
admin                  all, write  all, write              all
test_call_manager      all, write  all, write              all; publishes them
auditor                all         all (read-only)         all (read-only)
tester                 their own   their own only          their own (they recorded them)
quality_manager        all         never                   published only
team_lead              never       never                   published, their team only
agent                  never       never                   published, themselves only
=====================  ==========  ======================  ===========================================

The service department never sees who tested (``tester_id`` and ``recorded_by`` are blanked), so
testers — an agency's accounts especially — stay unrecognisable.

A role that may never use an endpoint gets :class:`Forbidden` (403); an object outside the caller's
scope is :class:`csqm.web.errors.NotFoundError` (404), indistinguishable from a missing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from csqm.store import Store
from csqm.testcalls.errors import Forbidden
from csqm.testcalls.model import Scenario, Standards
from csqm.testcalls.plans import get_plan, now_utc
from csqm.testcalls.records import RecordInput, Source, record_result, refresh_overdue, rows_of, update_follow_up
from csqm.testcalls.reports import Report, build_report
from csqm.testcalls.standards import follow_up_state
from csqm.testcalls.tables import ensure_tables
from csqm.web.auth import Principal
from csqm.web.errors import NotFoundError

MANAGERS = ("admin", "test_call_manager")
READ_ALL = (*MANAGERS, "auditor")


def require_manager(principal: Principal, action: str) -> None:
    """Only admins and test-call managers plan, schedule, publish and run the robot."""
    if principal.role not in MANAGERS:
        raise Forbidden(f"Only a test-call manager or an admin may {action}.")


def plans_condition(principal: Principal) -> tuple[str, list[Any]]:
    if principal.role in (*READ_ALL, "quality_manager"):
        return "1 = 1", []
    if principal.role == "tester":
        return 'p."plan_id" IN (SELECT "plan_id" FROM "testcall_tasks" WHERE "tester_id" = ?)', [principal.username]
    raise Forbidden("Test-call plans are not shown to agents and team leads.")


def tasks_condition(principal: Principal) -> tuple[str, list[Any]]:
    """Who sees scheduled tasks: managers and auditors all, a tester their own, nobody else."""
    if principal.role in READ_ALL:
        return "1 = 1", []
    if principal.role == "tester":
        return '"tester_id" = ?', [principal.username]
    raise Forbidden("Scheduled test calls are confidential: only test-call managers and testers see them.")


def results_condition(principal: Principal) -> tuple[str, list[Any]]:
    """Which results a role sees (see the module table)."""
    if principal.role in READ_ALL:
        return "1 = 1", []
    if principal.role == "tester":
        return '"tester_id" = ?', [principal.username]
    published = '"published_at" IS NOT NULL'
    if principal.role == "quality_manager":
        return published, []
    if principal.role == "team_lead" and principal.team_id:
        return f'{published} AND "team_id" = ?', [principal.team_id]
    if principal.role == "agent" and principal.agent_id:
        return f'{published} AND "agent_id" = ?', [principal.agent_id]
    return "1 = 0", []


#: Who executed a test is not shown to the service department, so testers stay unrecognisable.
_TESTER_FIELDS = ("tester_id", "recorded_by")


def _redact(rows: list[dict[str, Any]], principal: Principal) -> list[dict[str, Any]]:
    if principal.role in (*READ_ALL, "tester"):
        return rows
    return [{**r, **dict.fromkeys(_TESTER_FIELDS)} for r in rows]


def list_plans(store: Store, *, principal: Principal) -> list[dict[str, Any]]:
    ensure_tables(store)
    where, params = plans_condition(principal)
    frame = store.query(
        f'SELECT p."plan_id", p."name", p."quarter", p."purpose", p."definition" FROM "testcall_plans" p WHERE {where} '
        'ORDER BY p."quarter", p."plan_id"',
        params,
    )
    return rows_of(frame)


def plan_detail(store: Store, *, principal: Principal, plan_id: str) -> dict[str, Any]:
    for row in list_plans(store, principal=principal):
        if row["plan_id"] == plan_id:
            return row
    raise NotFoundError(f"There is no test-call plan {plan_id!r}.")


def list_tasks(
    store: Store,
    *,
    principal: Principal,
    plan_id: str | None = None,
    month: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    ensure_tables(store)
    where, params = tasks_condition(principal)
    for col, value in (("plan_id", plan_id), ("month", month), ("status", status)):
        if value:
            where += f' AND "{col}" = ?'
            params.append(value)
    frame = store.query(f'SELECT * FROM "testcall_tasks" WHERE {where} ORDER BY "scheduled_at", "task_id"', params)
    return rows_of(frame)


def task_detail(store: Store, *, principal: Principal, task_id: str) -> dict[str, Any]:
    ensure_tables(store)
    where, params = tasks_condition(principal)
    frame = store.query(f'SELECT * FROM "testcall_tasks" WHERE "task_id" = ? AND {where}', [task_id, *params])
    if frame.empty:
        raise NotFoundError(f"There is no test-call task {task_id!r}.")
    return rows_of(frame)[0]


def record(
    store: Store,
    *,
    principal: Principal,
    data: RecordInput,
    scenarios: Mapping[str, Scenario],
    source: Source = "api",
    timezone: str = "Asia/Shanghai",
) -> dict[str, Any]:
    """Record a result: a tester for their own task, a manager for any; nobody else."""
    if principal.role not in (*MANAGERS, "tester"):
        raise Forbidden("Only testers and test-call managers record test calls.")
    task_detail(store, principal=principal, task_id=data.task_id)  # 404 outside scope
    return record_result(
        store,
        data,
        scenarios=scenarios,
        by=principal.username,
        source=source,
        timezone=timezone,  # type: ignore[arg-type]
    )


def list_results(
    store: Store,
    *,
    principal: Principal,
    plan_id: str | None = None,
    month: str | None = None,
    team_id: str | None = None,
    agent_id: str | None = None,
    scenario_id: str | None = None,
) -> list[dict[str, Any]]:
    ensure_tables(store)
    where, params = results_condition(principal)
    filters = (
        ("plan_id", plan_id),
        ("month", month),
        ("team_id", team_id),
        ("agent_id", agent_id),
        ("scenario_id", scenario_id),
    )
    for col, value in filters:
        if value:
            where += f' AND "{col}" = ?'
            params.append(value)
    frame = store.query(f'SELECT * FROM "testcall_results" WHERE {where} ORDER BY "executed_at", "task_id"', params)
    return _redact(rows_of(frame), principal)


def result_detail(store: Store, *, principal: Principal, task_id: str) -> dict[str, Any]:
    ensure_tables(store)
    where, params = results_condition(principal)
    frame = store.query(f'SELECT * FROM "testcall_results" WHERE "task_id" = ? AND {where}', [task_id, *params])
    if frame.empty:
        raise NotFoundError(f"There is no test-call result {task_id!r}.")
    return _redact(rows_of(frame), principal)[0]


def standards_for(store: Store, plan_id: str | None) -> Standards:
    """The plan's standards, or the documented defaults when no single plan is named."""
    return get_plan(store, plan_id).standards if plan_id else Standards()


def report(
    store: Store,
    *,
    principal: Principal,
    by: str | None = None,
    plan_id: str | None = None,
    month: str | None = None,
    team_id: str | None = None,
    agent_id: str | None = None,
    scenario_id: str | None = None,
    as_of: datetime | None = None,
) -> Report:
    """A report over the results the caller may see."""
    rows = list_results(
        store,
        principal=principal,
        plan_id=plan_id,
        month=month,
        team_id=team_id,
        agent_id=agent_id,
        scenario_id=scenario_id,
    )
    if plan_id and not rows:
        plan_detail_or_404(store, principal, plan_id)
    std = standards_for(store, plan_id) if plan_id and _plan_exists(store, plan_id) else Standards()
    return build_report(rows, std, by=by, as_of=as_of or now_utc())


def _plan_exists(store: Store, plan_id: str) -> bool:
    return bool(store.scalar('SELECT count(*) FROM "testcall_plans" WHERE "plan_id" = ?', (plan_id,)))


def plan_detail_or_404(store: Store, principal: Principal, plan_id: str) -> None:
    if not _plan_exists(store, plan_id):
        raise NotFoundError(f"There is no test-call plan {plan_id!r}.")


def followups(
    store: Store, *, principal: Principal | None = None, as_of: datetime | None = None, include_closed: bool = False
) -> list[dict[str, Any]]:
    """Promised follow-ups with their state (open, overdue, resolved, late); open and overdue ones unless
    ``include_closed``. ``principal`` None: everything (the CLI)."""
    ensure_tables(store)
    where, params = ("1 = 1", []) if principal is None else tasks_condition(principal)
    refresh_overdue(store, as_of=as_of)
    frame = store.query(
        'SELECT "task_id", "plan_id", "team_id", "agent_id", "channel", "scenario_id", "tester_id", "executed_at", '
        '"follow_up_deadline", "follow_up_resolved_at", "published_at" FROM "testcall_results" '
        f'WHERE "follow_up_promised" AND {where} ORDER BY "follow_up_deadline", "task_id"',
        params,
    )
    now = as_of or now_utc()
    out = []
    for row in rows_of(frame):
        row["state"] = follow_up_state({**row, "follow_up_promised": True}, now)
        if include_closed or row["state"] in ("open", "overdue"):
            out.append(row)
    return out


def close_follow_up(
    store: Store,
    *,
    principal: Principal,
    task_id: str,
    resolved_at: datetime | None = None,
    timezone: str = "Asia/Shanghai",
) -> dict[str, Any]:
    """Close a follow-up: a manager, or the tester who recorded the test."""
    if principal.role not in (*MANAGERS, "tester"):
        raise Forbidden("Only testers and test-call managers close follow-ups.")
    task_detail(store, principal=principal, task_id=task_id)
    return update_follow_up(store, task_id, resolved_at=resolved_at, timezone=timezone)
