"""REST routes under ``/api/v1/testcalls`` (mounted by :func:`csqm.web.routes.api_router`). Thin: the
confidentiality rules live in :mod:`csqm.testcalls.service`."""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, Field

from csqm.store import Store
from csqm.testcalls import service
from csqm.testcalls.errors import Forbidden
from csqm.testcalls.loading import load_plans, load_scenarios
from csqm.testcalls.model import Scenario
from csqm.testcalls.plans import save_plans, schedule
from csqm.testcalls.records import RecordInput, publish
from csqm.testcalls.reports import export
from csqm.testcalls.robot import HttpJsonAdapter, run_task
from csqm.web.auth import Principal, record_audit
from csqm.web.deps import StateDep, StoreDep, UserDep
from csqm.web.routes.common import ERRORS

router = APIRouter(
    prefix="/testcalls",
    tags=["test calls"],
    responses={**ERRORS, 403: ERRORS[401] | {"description": "Your role may not do this."}},
)

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_Id = Annotated[str, Query(max_length=200)]


@functools.lru_cache(maxsize=1)
def scenario_library() -> dict[str, Scenario]:
    """The shipped library plus the folders in ``CSQM_TESTCALL_SCENARIOS`` (``os.pathsep``-separated)."""
    extra = [p for p in os.environ.get("CSQM_TESTCALL_SCENARIOS", "").split(os.pathsep) if p]
    return load_scenarios(extra)


@contextmanager
def _guard() -> Iterator[None]:
    try:
        yield
    except Forbidden as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from exc


class PlanPublic(BaseModel):
    plan_id: str
    name: str
    quarter: str
    purpose: str
    channels: list[str]
    teams: list[str]
    business_lines: list[str]
    monthly_quota: int
    spot_checks_per_month: int
    scenarios: list[str]
    testers: list[str] = Field(description="Tester ids; a tester sees only themselves.")
    standards: dict[str, float]


class PlanUpload(BaseModel):
    yaml: str = Field(min_length=1, max_length=1_000_000, description="A plan file (see docs/testcalls.md).")


class ScheduleRequest(BaseModel):
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    seed: int = 0
    replace: bool = False


class ScheduleSummary(BaseModel):
    plan_id: str
    month: str
    tasks: int
    spot_checks: int
    per_tester: dict[str, int]


class TaskPublic(BaseModel):
    task_id: str
    plan_id: str
    month: str
    kind: str
    team_id: str
    channel: str
    scenario_id: str
    time_slot: str
    scheduled_at: datetime
    tester_id: str
    tester_kind: str
    status: str


class ResultPublic(BaseModel):
    task_id: str
    plan_id: str | None = None
    month: str | None = None
    kind: str | None = None
    tester_id: str | None = None
    team_id: str | None = None
    agent_id: str | None = None
    channel: str | None = None
    scenario_id: str | None = None
    executed_at: datetime | None = None
    answered: bool | None = None
    rings: int | None = None
    first_response_seconds: float | None = None
    transcript: str | None = None
    notes: str | None = None
    key_points_total: int | None = None
    key_points_covered: str | None = None
    key_points_missed: str | None = None
    resolved_on_spot: bool | None = None
    follow_up_promised: bool | None = None
    follow_up_deadline: datetime | None = None
    follow_up_resolved_at: datetime | None = None
    knowledge_errors: int | None = None
    attitude: float | None = None
    clarity: float | None = None
    accuracy: float | None = None
    inspection_score: float | None = None
    inspection_passed: bool | None = None
    scorecard_id: str | None = None
    inspection_findings: str | None = None
    passed: bool | None = None
    fail_codes: str | None = None
    fail_reasons: str | None = None
    source: str | None = None
    recorded_by: str | None = None
    recorded_at: datetime | None = None
    published_at: datetime | None = None


class FollowUpPublic(BaseModel):
    task_id: str
    plan_id: str | None
    team_id: str | None
    agent_id: str | None
    channel: str | None
    scenario_id: str | None
    tester_id: str | None
    executed_at: datetime | None
    follow_up_deadline: datetime | None
    follow_up_resolved_at: datetime | None
    state: str


class CloseFollowUp(BaseModel):
    resolved_at: datetime | None = Field(
        default=None, description="When it was resolved (naive: reporting zone); default now."
    )


class PublishRequest(BaseModel):
    month: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$")


class PublishSummary(BaseModel):
    plan_id: str
    published: int


class RobotRequest(BaseModel):
    task_id: str = Field(min_length=1, max_length=200)
    url: str = Field(
        pattern=r"^https?://", max_length=2000, description="Chat endpoint taking JSON {session, message}."
    )
    reply_field: str = "reply"
    message_field: str = "message"
    timeout: float = Field(default=10.0, gt=0, le=120)


class RobotPublic(BaseModel):
    task_id: str
    answered: bool
    latencies: list[float]
    problems: list[str]
    passed: bool | None
    fail_reasons: str | None


class ScenarioPublic(BaseModel):
    id: str
    name_zh: str
    name_en: str
    channel: str
    kind: str
    mood: str
    risk: str
    business_line: str | None
    steps: list[str]
    key_points: list[dict[str, Any]]
    wrong: list[str]


class ReportPublic(BaseModel):
    dimension: str | None
    as_of: datetime
    standards: dict[str, float]
    overall: dict[str, Any]
    groups: list[dict[str, Any]]
    trend: list[dict[str, Any]]
    trend_slope: dict[str, float | None]
    correlations: list[dict[str, Any]]
    weak_links: list[dict[str, Any]]
    common_problems: list[dict[str, Any]]
    missed_key_points: list[dict[str, Any]]


def _audit(store: Store, user: Principal, action: str, target: str) -> None:
    """Every change made through the API is in the audit log, as through the console's pages."""
    record_audit(store, username=user.username, action=action, outcome="allowed", target=target)


def _plan_public(row: dict[str, Any], user: Any) -> PlanPublic:
    d = json.loads(row["definition"])
    testers = [t["id"] for t in d["testers"]]
    if user.role not in service.READ_ALL:
        testers = [t for t in testers if t == user.username]
    return PlanPublic(
        plan_id=d["id"], name=d["name"], quarter=d["quarter"], purpose=d["purpose"], channels=d["channels"],
        teams=d["teams"], business_lines=d["business_lines"], monthly_quota=d["monthly_quota"],
        spot_checks_per_month=d["spot_checks_per_month"], scenarios=d["scenarios"], testers=testers,
        standards=d["standards"],
    )  # fmt: skip


@router.get("/scenarios", response_model=list[ScenarioPublic])
def read_scenarios(user: UserDep) -> list[ScenarioPublic]:
    """The scenario library (not shown to agents and team leads)."""
    with _guard():
        if user.role in ("agent", "team_lead"):
            raise Forbidden("The test-call scenario library is not shown to agents and team leads.")
    return [ScenarioPublic.model_validate(s.model_dump()) for s in scenario_library().values()]


@router.get("/plans", response_model=list[PlanPublic])
def read_plans(user: UserDep, store: StoreDep) -> list[PlanPublic]:
    """Plans the caller may see."""
    with _guard():
        return [_plan_public(r, user) for r in service.list_plans(store, principal=user)]


@router.post("/plans", response_model=list[PlanPublic], status_code=201)
def create_plans(body: PlanUpload, user: UserDep, store: StoreDep) -> list[PlanPublic]:
    """Load plans from YAML text (test-call managers); every error is reported with its line."""
    with _guard():
        service.require_manager(user, "create plans")
        plans = load_plans("plan.yaml", scenario_library(), text=body.yaml)
        ids = save_plans(store, plans, source="api", by=user.username)
        for plan_id in ids:
            _audit(store, user, "testcall_plan", plan_id)
        return [_plan_public(service.plan_detail(store, principal=user, plan_id=i), user) for i in ids]


@router.get("/plans/{plan_id}", response_model=PlanPublic)
def read_plan(plan_id: str, user: UserDep, store: StoreDep) -> PlanPublic:
    with _guard():
        return _plan_public(service.plan_detail(store, principal=user, plan_id=plan_id), user)


@router.post("/plans/{plan_id}/schedule", response_model=ScheduleSummary, status_code=201)
def create_schedule(
    plan_id: str, body: ScheduleRequest, user: UserDep, store: StoreDep, state: StateDep
) -> ScheduleSummary:
    """Schedule a month of the plan (quota + spot checks), reproducible with ``seed``."""
    with _guard():
        service.require_manager(user, "schedule test calls")
        service.plan_detail(store, principal=user, plan_id=plan_id)
        tasks = schedule(
            store, plan_id, body.month, seed=body.seed, scenarios=scenario_library(),
            timezone=state.settings.timezone, replace=body.replace,
        )  # fmt: skip
        _audit(store, user, "testcall_schedule", f"{plan_id} {body.month}")
    per: dict[str, int] = {}
    for t in tasks:
        per[t.tester_id] = per.get(t.tester_id, 0) + 1
    spot = sum(1 for t in tasks if t.kind == "spot_check")
    return ScheduleSummary(plan_id=plan_id, month=body.month, tasks=len(tasks), spot_checks=spot, per_tester=per)


@router.post("/plans/{plan_id}/publish", response_model=PublishSummary)
def publish_results(plan_id: str, body: PublishRequest, user: UserDep, store: StoreDep) -> PublishSummary:
    """Publish the plan's results (of one month) to the service department."""
    with _guard():
        service.require_manager(user, "publish test-call results")
        published = publish(store, plan_id, month=body.month)
        _audit(store, user, "testcall_publish", plan_id)
        return PublishSummary(plan_id=plan_id, published=published)


@router.get("/tasks", response_model=list[TaskPublic])
def read_tasks(
    user: UserDep,
    store: StoreDep,
    plan_id: _Id | None = None,
    month: _Id | None = None,
    status_: Annotated[Literal["scheduled", "done"] | None, Query(alias="status")] = None,
) -> list[TaskPublic]:
    """Scheduled tasks: all for managers and auditors, their own for a tester, never for anyone else."""
    with _guard():
        rows = service.list_tasks(store, principal=user, plan_id=plan_id, month=month, status=status_)
    return [TaskPublic.model_validate(r) for r in rows]


@router.get("/tasks/{task_id}", response_model=TaskPublic)
def read_task(task_id: str, user: UserDep, store: StoreDep) -> TaskPublic:
    with _guard():
        return TaskPublic.model_validate(service.task_detail(store, principal=user, task_id=task_id))


@router.post("/results", response_model=ResultPublic, status_code=201)
def create_result(body: RecordInput, user: UserDep, store: StoreDep, state: StateDep) -> ResultPublic:
    """Record an executed test (a tester for their own task): judged against the standards, inspected."""
    with _guard():
        row = service.record(
            store,
            principal=user,
            data=body,
            scenarios=scenario_library(),
            source="api",
            timezone=state.settings.timezone,
        )
        _audit(store, user, "testcall_record", body.task_id)
    return ResultPublic.model_validate(row)


@router.get("/results", response_model=list[ResultPublic])
def read_results(
    user: UserDep,
    store: StoreDep,
    plan_id: _Id | None = None,
    month: _Id | None = None,
    team_id: _Id | None = None,
    agent_id: _Id | None = None,
    scenario_id: _Id | None = None,
) -> list[ResultPublic]:
    """Results the caller may see (the service department: published ones in their scope)."""
    with _guard():
        rows = service.list_results(
            store,
            principal=user,
            plan_id=plan_id,
            month=month,
            team_id=team_id,
            agent_id=agent_id,
            scenario_id=scenario_id,
        )
    return [ResultPublic.model_validate(r) for r in rows]


@router.get("/results/{task_id}", response_model=ResultPublic)
def read_result(task_id: str, user: UserDep, store: StoreDep) -> ResultPublic:
    with _guard():
        return ResultPublic.model_validate(service.result_detail(store, principal=user, task_id=task_id))


@router.get("/followups", response_model=list[FollowUpPublic])
def read_followups(
    user: UserDep,
    store: StoreDep,
    include_closed: Annotated[bool, Query(description="Also resolved and late ones.")] = False,
) -> list[FollowUpPublic]:
    """Promised follow-ups, open and overdue (and closed ones on request)."""
    with _guard():
        rows = service.followups(store, principal=user, include_closed=include_closed)
    return [FollowUpPublic.model_validate(r) for r in rows]


@router.post("/followups/{task_id}/close", response_model=ResultPublic)
def close_followup(task_id: str, body: CloseFollowUp, user: UserDep, store: StoreDep, state: StateDep) -> ResultPublic:
    with _guard():
        row = service.close_follow_up(
            store, principal=user, task_id=task_id, resolved_at=body.resolved_at, timezone=state.settings.timezone
        )
        _audit(store, user, "testcall_followup_close", task_id)
    return ResultPublic.model_validate(row)


@router.post("/robot/run", response_model=RobotPublic)
def run_robot(body: RobotRequest, user: UserDep, store: StoreDep) -> RobotPublic:
    """Run the robot tester on one online task against a chat endpoint and record the result."""
    with _guard():
        service.require_manager(user, "run the robot tester")
        adapter = HttpJsonAdapter(body.url, message_field=body.message_field, reply_field=body.reply_field)
        run = run_task(
            store, body.task_id, adapter, scenarios=scenario_library(), timeout=body.timeout, by=user.username
        )
        _audit(store, user, "testcall_robot", body.task_id)
    return RobotPublic(
        task_id=run.task_id, answered=bool(run.replies), latencies=run.latencies, problems=run.problems,
        passed=run.row.get("passed"), fail_reasons=run.row.get("fail_reasons") or None,
    )  # fmt: skip


@router.get("/report", response_model=ReportPublic, responses={200: {"content": {"text/csv": {}, _XLSX: {}}}})
def read_report(
    user: UserDep,
    store: StoreDep,
    by: Annotated[Literal["plan", "month", "team", "agent", "scenario", "channel", "tester"] | None, Query()] = None,
    plan_id: _Id | None = None,
    month: _Id | None = None,
    team_id: _Id | None = None,
    agent_id: _Id | None = None,
    scenario_id: _Id | None = None,
    format_: Annotated[Literal["json", "csv", "xlsx"], Query(alias="format")] = "json",
) -> Any:
    """Mean, std, percentages against the standards, trend, correlations, weak links and common problems
    over the results the caller may see; ``format=csv|xlsx`` downloads it."""
    with _guard():
        rep = service.report(
            store,
            principal=user,
            by=by,
            plan_id=plan_id,
            month=month,
            team_id=team_id,
            agent_id=agent_id,
            scenario_id=scenario_id,
        )
    if format_ == "json":
        return ReportPublic.model_validate(rep.to_dict())
    with tempfile.TemporaryDirectory() as tmp:
        path = export(rep, Path(tmp) / f"testcalls-report.{format_}")
        content = path.read_bytes()
    media = "text/csv; charset=utf-8" if format_ == "csv" else _XLSX
    headers = {"Content-Disposition": f'attachment; filename="testcalls-report.{format_}"'}
    return Response(content, media_type=media, headers=headers)
