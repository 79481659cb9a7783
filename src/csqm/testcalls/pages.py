"""Console pages under ``/testcalls``: the plan list, plan creation from YAML and the plan detail with its
month scheduling form, the task list, a tester's record form (CSRF), the follow-ups with their close form and
the report. They call the same scoped service functions as the API (:mod:`csqm.testcalls.service`)."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from csqm.testcalls import service
from csqm.testcalls.api import scenario_library
from csqm.testcalls.errors import Forbidden, TestcallError, TestcallFileError
from csqm.testcalls.loading import load_plans
from csqm.testcalls.plans import save_plans, schedule
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
    request: Request,
    user: PageUserDep,
    store: StoreDep,
    plan_id: _Id = None,
    month: _Id = None,
    recorded: _Id = None,
    scheduled: int | None = None,
) -> HTMLResponse:
    """All tasks for managers and auditors; a tester's own tasks for a tester; nobody else."""
    with _page_guard():
        tasks = service.list_tasks(store, principal=user, plan_id=plan_id, month=month)
    library = scenario_library()
    for task in tasks:
        scenario = library.get(str(task["scenario_id"]))
        task["scenario_name"] = scenario.name_zh if scenario else task["scenario_id"]
    context: dict[str, Any] = {"tasks": tasks, "can_record": _can_record(user), "show_tester": user.role != "tester"}
    if recorded:
        context.update(message=_message(request, "testcalls.recorded", task=recorded), message_kind="ok")
    if scheduled is not None:
        context.update(message=_message(request, "testcalls.scheduled", n=scheduled, month=month or ""),
                       message_kind="ok")  # fmt: skip
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


_MAX_YAML = 200_000


@router.get("/plans/new", response_class=HTMLResponse)
def new_plan_page(request: Request, user: PageUserDep) -> HTMLResponse:
    """Upload or paste a plan YAML (managers)."""
    with _page_guard():
        service.require_manager(user, "create plans")
    return render(request, "testcalls/plan_new.html", {"yaml": "", "problems": []})


@router.post("/plans", response_class=HTMLResponse, dependencies=[CsrfDep])
async def new_plan_submit(request: Request, user: PageUserDep, store: StoreDep) -> Response:
    """Validate and store the plans of the uploaded or pasted YAML; every problem comes back with its line."""
    with _page_guard():
        service.require_manager(user, "create plans")
    form = await request.form()
    upload, pasted = form.get("file"), form.get("yaml")
    text = ""
    problems: list[str] = []
    name = "plan.yaml"
    if upload is not None and not isinstance(upload, str) and upload.filename:
        name = Path(upload.filename).name or name
        raw = await upload.read(_MAX_YAML + 1)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{name}: the file is not UTF-8 text.")
        if len(raw) > _MAX_YAML:
            problems.append(f"{name}: larger than {_MAX_YAML} bytes.")
    elif isinstance(pasted, str):
        text = pasted
        if len(text) > _MAX_YAML:
            problems.append(f"{name}: longer than {_MAX_YAML} characters.")
    if not problems and not text.strip():
        problems.append(str(translator(request)("testcalls.plan_empty")))
    if not problems:
        try:
            plans = load_plans(name, scenario_library(), text=text)
            ids = save_plans(store, plans, source="console", by=user.username)
        except TestcallFileError as exc:
            problems = list(exc.problems) or [str(exc)]
        except TestcallError as exc:
            problems = [str(exc)]
        else:
            for plan_id in ids:
                record_audit(store, username=user.username, action="testcall_plan", outcome="allowed", target=plan_id)
            return RedirectResponse(f"/testcalls/plans/{ids[0]}?created={len(ids)}", status_code=303)
    context = {"yaml": text, "problems": problems, "message": _message(request, "testcalls.plan_invalid"),
               "message_kind": "error"}  # fmt: skip
    return render(request, "testcalls/plan_new.html", context, status_code=400)


def _plan_view(
    request: Request, user: Principal, store: Any, plan_id: str, *, message: str = "", kind: str = "ok",
    values: dict[str, str] | None = None,
) -> HTMLResponse:  # fmt: skip
    with _page_guard():
        if user.role in ("team_lead", "agent"):
            raise Forbidden("Test-call plans are not shown to agents and team leads.")
        row = service.plan_detail(store, principal=user, plan_id=plan_id)
    plan = json.loads(row["definition"])
    testers = plan["testers"]
    if user.role not in service.READ_ALL:
        testers = [t for t in testers if t["id"] == user.username]
    library = scenario_library()
    scenarios = [
        {"id": sid, "name": library[sid].name_zh if sid in library else sid,
         "channel": library[sid].channel if sid in library else ""}
        for sid in plan["scenarios"]
    ]  # fmt: skip
    months = []
    if user.role in service.READ_ALL:
        frame = store.query(
            'SELECT "month", count(*) AS "tasks" FROM "testcall_tasks" WHERE "plan_id" = ? GROUP BY "month" '
            'ORDER BY "month"',
            (plan_id,),
        )
        months = [{"month": str(r.month), "tasks": int(r.tasks)} for r in frame.itertuples()]
    context: dict[str, Any] = {
        "p": plan, "testers": testers, "scenarios": scenarios, "months": months,
        "is_manager": user.role in service.MANAGERS, "values": values or {},
    }  # fmt: skip
    if message:
        context.update(message=message, message_kind=kind)
    return render(request, "testcalls/plan.html", context, status_code=400 if kind == "error" else 200)


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(
    request: Request, plan_id: str, user: PageUserDep, store: StoreDep, created: int | None = None
) -> HTMLResponse:
    """One plan: scope, scenarios, testers, standards, its scheduled months; managers schedule a month here."""
    message = _message(request, "testcalls.plan_created", n=created) if created else ""
    return _plan_view(request, user, store, plan_id, message=message)


@router.post("/plans/{plan_id}/schedule", response_class=HTMLResponse, dependencies=[CsrfDep])
def schedule_submit(
    request: Request,
    plan_id: str,
    user: PageUserDep,
    store: StoreDep,
    state: StateDep,
    month: Annotated[str, Form(max_length=20)] = "",
    seed: Annotated[str, Form(max_length=20)] = "0",
    replace: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Schedule a month of the plan (managers); the task list of that month follows."""
    with _page_guard():
        service.require_manager(user, "schedule test calls")
        service.plan_detail(store, principal=user, plan_id=plan_id)
    values = {"month": month, "seed": seed, "replace": replace}
    problem = ""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month.strip()):
        problem = f"month: {month!r} is not a month like 2026-01."
    elif not re.fullmatch(r"-?\d{1,9}", seed.strip() or "0"):
        problem = f"seed: {seed!r} is not a whole number."
    if not problem:
        try:
            tasks = schedule(
                store, plan_id, month.strip(), seed=int(seed.strip() or "0"), scenarios=scenario_library(),
                timezone=state.settings.timezone, replace=replace == "on",
            )  # fmt: skip
        except TestcallError as exc:
            problem = str(exc)
        else:
            record_audit(
                store, username=user.username, action="testcall_schedule", outcome="allowed",
                target=f"{plan_id} {month.strip()}",
            )  # fmt: skip
            return RedirectResponse(
                f"/testcalls/tasks?plan_id={plan_id}&month={month.strip()}&scheduled={len(tasks)}", status_code=303
            )
    return _plan_view(request, user, store, plan_id, message=problem, kind="error", values=values)


@router.get("/followups", response_class=HTMLResponse)
def followups_page(
    request: Request,
    user: PageUserDep,
    store: StoreDep,
    closed: _Id = None,
    show_all: Annotated[int, Query(alias="all")] = 0,
) -> HTMLResponse:
    """Promised follow-ups, open and overdue (all with ``all=1``); managers and the recording tester close them."""
    with _page_guard():
        if user.role not in (*service.READ_ALL, "tester"):
            raise Forbidden("Follow-ups of test calls are shown to test-call managers, auditors and testers.")
        rows = service.followups(store, principal=user, include_closed=bool(show_all))
    context: dict[str, Any] = {"rows": rows, "can_close": _can_record(user), "show_all": bool(show_all)}
    if closed:
        context.update(message=_message(request, "testcalls.followup_closed", task=closed), message_kind="ok")
    return render(request, "testcalls/followups.html", context)


@router.post("/followups/{task_id}/close", response_class=HTMLResponse, dependencies=[CsrfDep])
def followup_close(
    request: Request,
    task_id: str,
    user: PageUserDep,
    store: StoreDep,
    state: StateDep,
    resolved_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Close a follow-up, resolved at the given local time (default now)."""
    with _page_guard():
        if not _can_record(user):
            raise Forbidden("Only testers and test-call managers close follow-ups.")
    problem = ""
    when: datetime | None = None
    if resolved_at.strip():
        try:
            when = datetime.fromisoformat(resolved_at.strip())
        except ValueError:
            problem = f"resolved_at: {resolved_at!r} is not a date and time."
    if not problem:
        try:
            with _page_guard():
                service.close_follow_up(
                    store, principal=user, task_id=task_id, resolved_at=when, timezone=state.settings.timezone
                )
        except TestcallError as exc:
            problem = str(exc)
        else:
            record_audit(store, username=user.username, action="testcall_followup_close", outcome="allowed",
                         target=task_id)  # fmt: skip
            return RedirectResponse(f"/testcalls/followups?closed={task_id}", status_code=303)
    rows = service.followups(store, principal=user)
    context = {"rows": rows, "can_close": True, "show_all": False, "message": problem, "message_kind": "error"}
    return render(request, "testcalls/followups.html", context, status_code=400)
