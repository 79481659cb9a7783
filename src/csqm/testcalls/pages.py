"""Console pages under ``/testcalls``: the plan list, a tester's tasks, the record form (CSRF) and the
report. They call the same scoped service functions as the API (:mod:`csqm.testcalls.service`)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from csqm.testcalls import service
from csqm.testcalls.api import scenario_library
from csqm.testcalls.errors import Forbidden, TestcallError
from csqm.testcalls.records import RecordInput, publish
from csqm.testcalls.reports import DIMENSIONS, export
from csqm.web.auth import Principal, record_audit
from csqm.web.console import CsrfDep, PageUserDep, render, translator
from csqm.web.deps import StateDep, StoreDep
from csqm.web.errors import ForbiddenError

router = APIRouter()
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_Id = Annotated[str | None, Query(max_length=200)]


@contextmanager
def _page_guard() -> Iterator[None]:
    try:
        yield
    except Forbidden as exc:
        raise ForbiddenError(str(exc)) from exc


def _can_record(user: Principal) -> bool:
    return user.role in (*service.MANAGERS, "tester")


@router.get("", response_class=HTMLResponse)
def plans_page(request: Request, user: PageUserDep, store: StoreDep, published: int | None = None) -> HTMLResponse:
    """The plans the user may see, with their progress; managers publish from here."""
    with _page_guard():
        rows = service.list_plans(store, principal=user)
    plans = []
    for row in rows:
        d = json.loads(row["definition"])
        counts = store.query(
            'SELECT count(*) AS "results", count("published_at") AS "published" FROM "testcall_results" '
            'WHERE "plan_id" = ?',
            (row["plan_id"],),
        ).iloc[0]
        tasks = int(store.scalar('SELECT count(*) FROM "testcall_tasks" WHERE "plan_id" = ?', (row["plan_id"],)))
        plans.append({**d, "tasks": tasks, "results": int(counts["results"]), "published": int(counts["published"])})
    context: dict[str, Any] = {
        "plans": plans,
        "is_manager": user.role in service.MANAGERS,
        "sees_tasks": user.role in (*service.READ_ALL, "tester"),
    }
    if published is not None:
        context.update(message=_message(request, "testcalls.published", n=published), message_kind="ok")
    return render(request, "testcalls/plans.html", context)


def _message(request: Request, key: str, **values: object) -> str:
    return str(translator(request)(key, **values))


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(
    request: Request, user: PageUserDep, store: StoreDep, plan_id: _Id = None, recorded: _Id = None
) -> HTMLResponse:
    """All tasks for managers and auditors; a tester's own tasks for a tester; nobody else."""
    with _page_guard():
        tasks = service.list_tasks(store, principal=user, plan_id=plan_id)
    library = scenario_library()
    for task in tasks:
        scenario = library.get(str(task["scenario_id"]))
        task["scenario_name"] = scenario.name_zh if scenario else task["scenario_id"]
    context: dict[str, Any] = {"tasks": tasks, "can_record": _can_record(user), "show_tester": user.role != "tester"}
    if recorded:
        context.update(message=_message(request, "testcalls.recorded", task=recorded), message_kind="ok")
    return render(request, "testcalls/tasks.html", context)


def _form_context(store: Any, user: Principal, task_id: str) -> dict[str, Any]:
    with _page_guard():
        if not _can_record(user):
            raise Forbidden("Only testers and test-call managers record test calls.")
        task = service.task_detail(store, principal=user, task_id=task_id)
    scenario = scenario_library().get(str(task["scenario_id"]))
    return {"task": task, "scenario": scenario, "values": {}}


@router.get("/tasks/{task_id}/record", response_class=HTMLResponse)
def record_form(request: Request, task_id: str, user: PageUserDep, store: StoreDep) -> HTMLResponse:
    """The record form of one task: the script, its key points to tick, and the observations."""
    return render(request, "testcalls/record.html", _form_context(store, user, task_id))


def _form_record(task_id: str, form: Any) -> RecordInput:
    def text(name: str) -> str | None:
        value = form.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    values: dict[str, Any] = {
        "task_id": task_id,
        "answered": text("answered") == "yes",
        "executed_at": text("executed_at"),
        "agent_id": text("agent_id"),
        "rings": text("rings"),
        "first_response_seconds": text("first_response_seconds"),
        "transcript": text("transcript"),
        "notes": text("notes"),
        "key_points_covered": [v for v in form.getlist("key_points_covered") if isinstance(v, str)],
        "resolved_on_spot": text("resolved_on_spot") == "on",
        "follow_up_promised": text("follow_up_promised") == "on",
        "follow_up_deadline": text("follow_up_deadline"),
        "knowledge_errors": text("knowledge_errors") or 0,
        "attitude": text("attitude"),
        "clarity": text("clarity"),
        "accuracy": text("accuracy"),
    }
    return RecordInput.model_validate({k: v for k, v in values.items() if v is not None})


@router.post("/tasks/{task_id}/record", response_class=HTMLResponse, dependencies=[CsrfDep])
async def record_submit(
    request: Request, task_id: str, user: PageUserDep, store: StoreDep, state: StateDep
) -> Response:
    """Store the record (masked, inspected, judged); on a problem the form comes back with it."""
    context = _form_context(store, user, task_id)
    form = await request.form()
    try:
        data = _form_record(task_id, form)
        with _page_guard():
            service.record(
                store, principal=user, data=data, scenarios=scenario_library(), source="form",
                timezone=state.settings.timezone,
            )  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        problem = f"{field}: {first['msg']}"
        return _form_error(request, context, form, problem)
    except TestcallError as exc:
        return _form_error(request, context, form, str(exc))
    record_audit(store, username=user.username, action="testcall_record", outcome="allowed", target=task_id)
    return RedirectResponse(f"/testcalls/tasks?recorded={task_id}", status_code=303)


def _form_error(request: Request, context: dict[str, Any], form: Any, problem: str) -> HTMLResponse:
    values: dict[str, Any] = {k: v for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}
    values["key_points_covered"] = [v for v in form.getlist("key_points_covered") if isinstance(v, str)]
    context = {**context, "values": values, "message": problem, "message_kind": "error"}
    return render(request, "testcalls/record.html", context, status_code=400)


@router.post("/plans/{plan_id}/publish", dependencies=[CsrfDep])
def publish_submit(plan_id: str, user: PageUserDep, store: StoreDep, month: _Id = None) -> RedirectResponse:
    """Publish the plan's recorded results to the service department (managers)."""
    with _page_guard():
        service.require_manager(user, "publish test-call results")
        n = publish(store, plan_id, month=month)
    record_audit(store, username=user.username, action="testcall_publish", outcome="allowed", target=plan_id)
    return RedirectResponse(f"/testcalls?published={n}", status_code=303)


@router.get("/report", response_class=HTMLResponse)
def report_page(
    request: Request,
    user: PageUserDep,
    store: StoreDep,
    plan_id: _Id = None,
    month: _Id = None,
    by: Annotated[Literal["plan", "month", "team", "agent", "scenario", "channel", "tester"] | None, Query()] = "team",
    format_: Annotated[Literal["html", "csv", "xlsx", "json"], Query(alias="format")] = "html",
) -> Response:
    """The report over the results the user may see (the service department: published ones in scope)."""
    with _page_guard():
        if user.role not in (*service.READ_ALL, "tester", "quality_manager", "team_lead", "agent"):
            raise Forbidden("This role has no test-call reports.")
        report = service.report(store, principal=user, by=by, plan_id=plan_id or None, month=month or None)
    if format_ != "html":
        with tempfile.TemporaryDirectory() as tmp:
            content = export(report, Path(tmp) / f"report.{format_}").read_bytes()
        media = {"csv": "text/csv; charset=utf-8", "xlsx": _XLSX, "json": "application/json"}[format_]
        headers = {"Content-Disposition": f'attachment; filename="testcalls-report.{format_}"'}
        return Response(content, media_type=media, headers=headers)
    plans = [] if user.role in ("team_lead", "agent") else service.list_plans(store, principal=user)
    context = {
        "report": report,
        "plans": [p["plan_id"] for p in plans],
        "plan_id": plan_id or "",
        "month": month or "",
        "by": by,
        "dimensions": list(DIMENSIONS),
        "aggregate_codes": list(report.overall.aggregates),
        "as_of": datetime.now(),
    }
    return render(request, "testcalls/report.html", context)
