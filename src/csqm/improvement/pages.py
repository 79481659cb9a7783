"""Console pages under ``/improvement``: findings and actions (with overdue ones), a finding's detail with
its evidence, an action's detail with its change log and verification, the forms to create an action (from a
finding or free-standing) or a training record and to change an action's status, owner and due date, and the
training needs; team leads add progress, managers create, change and verify. They call the same scoped
service functions as the API (:mod:`csqm.improvement.service`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from csqm.improvement import service
from csqm.improvement.models import FindingStatus, Source
from csqm.improvement.tables import ACTION_STATUSES
from csqm.web.console import CsrfDep, PageUserDep, render, require_roles, translator
from csqm.web.deps import CatalogueDep, StoreDep
from csqm.web.errors import BadParameterError, NotFoundError

router = APIRouter()
PAGE_ROLES = (*service.READ_ALL, "team_lead")
_Id = Annotated[str, Path(max_length=40, pattern=r"^[A-Z][0-9]{1,12}$")]


@router.get("", response_class=HTMLResponse)
def index_page(
    request: Request,
    user: PageUserDep,
    store: StoreDep,
    catalogue: CatalogueDep,
    status: FindingStatus | None = None,
    source: Source | None = None,
) -> HTMLResponse:
    """Findings in the user's scope, the actions with the overdue ones marked, and training records."""
    require_roles(user, *PAGE_ROLES)
    context = {
        "findings": service.list_findings(store, principal=user, status=status, source=source),
        "actions": service.list_actions(store, principal=user, catalogue=catalogue, kind="action"),
        "training": service.list_actions(store, principal=user, catalogue=catalogue, kind="training"),
        "status": status or "",
        "source": source or "",
        "statuses": ("open", "actioned", "closed", "dismissed"),
        "sources": ("inspection", "kpi", "test_call", "manual"),
    }
    return render(request, "improvement/index.html", context)


@router.get("/actions/new", response_class=HTMLResponse)
def new_action_page(
    request: Request, user: PageUserDep, store: StoreDep, finding_id: Annotated[str, Query(max_length=40)] = ""
) -> HTMLResponse:
    """The form of a new action, free-standing or from ``finding_id`` (managers)."""
    require_roles(user, *service.MANAGE)
    return _form_page(request, user, store, "action", {"finding_id": finding_id})


@router.get("/actions/{action_id}", response_class=HTMLResponse)
def action_page(
    request: Request, user: PageUserDep, store: StoreDep, catalogue: CatalogueDep, action_id: _Id, done: str = ""
) -> HTMLResponse:
    """One action or training record: its fields, the change log and every verification."""
    message = translator(request)(f"improvement.done_{done}") if done in _DONE else ""
    return _action_view(request, user, store, catalogue, action_id, message, "ok")


_DONE = ("progress", "verified", "created", "edited")


def _action_view(
    request: Request, user: Any, store: Any, catalogue: Any, action_id: str, message: str, kind: str
) -> HTMLResponse:
    require_roles(user, *PAGE_ROLES)
    detail = service.get_action(store, principal=user, catalogue=catalogue, action_id=action_id)
    metric = detail.action.metric
    context: dict[str, Any] = {
        "detail": detail,
        "a": detail.action,
        "statuses": ACTION_STATUSES,
        "can_progress": user.role in service.MANAGE or (user.role == "team_lead" and detail.action.kind == "action"),
        "can_verify": user.role in service.MANAGE,
        "can_edit": user.role in service.MANAGE,
        "unit": catalogue[metric].unit if metric is not None and metric in catalogue else "",
    }
    if message:
        context.update(message=message, message_kind=kind)
    return render(request, "improvement/action.html", context, status_code=400 if kind == "error" else 200)


@router.post("/actions/{action_id}/progress", dependencies=[CsrfDep])
def progress_form(
    user: PageUserDep,
    store: StoreDep,
    catalogue: CatalogueDep,
    action_id: _Id,
    note: Annotated[str, Form(max_length=4000)] = "",
    status: Annotated[str, Form(max_length=20)] = "",
) -> RedirectResponse:
    """Append a progress note and/or change the status (team leads: their team's actions)."""
    require_roles(user, *service.MANAGE, "team_lead")
    if status and status not in ACTION_STATUSES:
        raise BadParameterError(f"Unknown status {status!r}.")
    if not note.strip() and not status:
        raise BadParameterError("Write a progress note or choose a status.")
    service.update_action(
        store, principal=user, catalogue=catalogue, action_id=action_id,
        changes={"status": status} if status else {}, note=note or None,
    )  # fmt: skip
    return RedirectResponse(f"/improvement/actions/{action_id}?done=progress", status_code=303)


@router.post("/actions/{action_id}/verify", dependencies=[CsrfDep])
def verify_form(user: PageUserDep, store: StoreDep, catalogue: CatalogueDep, action_id: _Id) -> RedirectResponse:
    """Verify the action by its metric now (managers)."""
    require_roles(user, *service.MANAGE)
    service.verify_action(store, principal=user, catalogue=catalogue, action_id=action_id)
    return RedirectResponse(f"/improvement/actions/{action_id}?done=verified", status_code=303)


_FIELDS = (
    "title", "finding_id", "root_cause", "department", "owner", "team_id", "agent_id", "metric",
    "scope_kind", "scope_value", "effective_on", "window_days", "due_on",
)  # fmt: skip
_TEXT = Annotated[str, Form(max_length=4000)]


def _finding_or_none(store: Any, user: Any, finding_id: str) -> Any:
    if not finding_id:
        return None
    try:
        return service.get_finding(store, principal=user, finding_id=finding_id)
    except NotFoundError:  # a typed id that does not exist: the form says so when it is submitted
        return None


@router.get("/findings/{finding_id}", response_class=HTMLResponse)
def finding_page(request: Request, user: PageUserDep, store: StoreDep, finding_id: _Id) -> HTMLResponse:
    """One finding with its evidence; managers create an action from it here."""
    require_roles(user, *PAGE_ROLES)
    finding = service.get_finding(store, principal=user, finding_id=finding_id)
    context = {
        "f": finding,
        "finding": finding,
        "can_create": user.role in service.MANAGE,
        "values": {},
        "kind": "action",
    }
    return render(request, "improvement/finding.html", context)


def _form_page(
    request: Request, user: Any, store: Any, kind: str, values: dict[str, str], **extra: Any
) -> HTMLResponse:
    finding = _finding_or_none(store, user, values.get("finding_id", ""))
    context = {"kind": kind, "values": values, "finding": finding, **extra}
    return render(request, "improvement/new.html", context, status_code=400 if "message" in extra else 200)


@router.get("/training/new", response_class=HTMLResponse)
def new_training_page(request: Request, user: PageUserDep, store: StoreDep) -> HTMLResponse:
    """The form of a training record: trainee or team, topic, trainer, day (managers)."""
    require_roles(user, *service.MANAGE)
    return _form_page(request, user, store, "training", {})


async def _create(request: Request, user: Any, store: Any, catalogue: Any, kind: str) -> Response:
    require_roles(user, *service.MANAGE)
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in _FIELDS}
    too_long = [k for k, v in values.items() if len(v) > 4000]
    fields: dict[str, Any] = {k: v for k, v in values.items() if v and k != "window_days"}
    fields["title"] = values["title"]  # the service says what is wrong with an empty one
    problem = ""
    if too_long:
        problem = f"{too_long[0]}: at most 4000 characters."
    elif values["window_days"]:
        if not values["window_days"].isdigit():
            problem = f"window_days: {values['window_days']!r} is not a whole number of days."
        else:
            fields["window_days"] = int(values["window_days"])
    if not problem:
        try:
            created = service.create_action(store, principal=user, catalogue=catalogue, kind=kind, **fields)
        except (BadParameterError, NotFoundError) as exc:
            problem = str(exc)
        else:
            return RedirectResponse(f"/improvement/actions/{created.action_id}?done=created", status_code=303)
    return _form_page(request, user, store, kind, values, message=problem, message_kind="error")


@router.post("/actions", dependencies=[CsrfDep])
async def create_action_form(request: Request, user: PageUserDep, store: StoreDep, catalogue: CatalogueDep) -> Response:
    """Create an action (from a finding when ``finding_id`` is given); a problem brings the form back."""
    return await _create(request, user, store, catalogue, "action")


@router.post("/training", dependencies=[CsrfDep])
async def create_training_form(
    request: Request, user: PageUserDep, store: StoreDep, catalogue: CatalogueDep
) -> Response:
    """Record a training; a problem brings the form back."""
    return await _create(request, user, store, catalogue, "training")


@router.post("/actions/{action_id}/edit", dependencies=[CsrfDep])
def edit_form(
    request: Request,
    user: PageUserDep,
    store: StoreDep,
    catalogue: CatalogueDep,
    action_id: _Id,
    status: Annotated[str, Form(max_length=20)] = "",
    owner: Annotated[str, Form(max_length=200)] = "",
    due_on: Annotated[str, Form(max_length=20)] = "",
    note: _TEXT = "",
) -> Response:
    """Change the status, owner and due date (managers); only changed fields are logged."""
    require_roles(user, *service.MANAGE)
    current = service.get_action(store, principal=user, catalogue=catalogue, action_id=action_id).action
    changes: dict[str, Any] = {}
    if status and status != current.status:
        changes["status"] = status
    if owner.strip() and owner.strip() != (current.owner or ""):
        changes["owner"] = owner.strip()
    if due_on.strip() and due_on.strip() != (str(current.due_on) if current.due_on else ""):
        changes["due_on"] = due_on.strip()
    problem = ""
    if status and status not in ACTION_STATUSES:
        problem = f"status: unknown status {status!r}."
    elif not changes and not note.strip():
        problem = translator(request)("improvement.nothing_changed")
    if not problem:
        try:
            service.update_action(
                store, principal=user, catalogue=catalogue, action_id=action_id, changes=changes,
                note=note.strip() or None,
            )  # fmt: skip
        except BadParameterError as exc:
            problem = str(exc)
        else:
            return RedirectResponse(f"/improvement/actions/{action_id}?done=edited", status_code=303)
    return _action_view(request, user, store, catalogue, action_id, problem, "error")


@router.get("/training/needs", response_class=HTMLResponse)
def training_needs_page(
    request: Request,
    user: PageUserDep,
    store: StoreDep,
    catalogue: CatalogueDep,
    team_id: Annotated[str, Query(max_length=200)] = "",
    agent_id: Annotated[str, Query(max_length=200)] = "",
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> HTMLResponse:
    """Training needs per team and agent (a team lead: their team; an agent: their own)."""
    require_roles(user, *PAGE_ROLES, "agent")
    needs = service.list_training_needs(
        store, principal=user, catalogue=catalogue, team_id=team_id or None, agent_id=agent_id or None,
        start=start, end=end,
    )  # fmt: skip
    context = {
        "needs": needs,
        "team_id": team_id,
        "agent_id": agent_id,
        "start": start or "",
        "end": end or "",
        "can_create": user.role in service.MANAGE,
    }
    return render(request, "improvement/needs.html", context)
