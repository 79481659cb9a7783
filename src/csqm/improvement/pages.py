"""Console pages under ``/improvement``: findings and actions (with overdue ones), and an action's detail
with its change log and verification; team leads add progress, managers verify. They call the same scoped
service functions as the API (:mod:`csqm.improvement.service`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from csqm.improvement import service
from csqm.improvement.models import FindingStatus, Source
from csqm.improvement.tables import ACTION_STATUSES
from csqm.web.console import CsrfDep, PageUserDep, render, require_roles, translator
from csqm.web.deps import CatalogueDep, StoreDep
from csqm.web.errors import BadParameterError

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


@router.get("/actions/{action_id}", response_class=HTMLResponse)
def action_page(
    request: Request, user: PageUserDep, store: StoreDep, catalogue: CatalogueDep, action_id: _Id, done: str = ""
) -> HTMLResponse:
    """One action or training record: its fields, the change log and every verification."""
    require_roles(user, *PAGE_ROLES)
    detail = service.get_action(store, principal=user, catalogue=catalogue, action_id=action_id)
    t = translator(request)
    metric = detail.action.metric
    context: dict[str, Any] = {
        "detail": detail,
        "a": detail.action,
        "statuses": ACTION_STATUSES,
        "can_progress": user.role in service.MANAGE or (user.role == "team_lead" and detail.action.kind == "action"),
        "can_verify": user.role in service.MANAGE,
        "unit": catalogue[metric].unit if metric is not None and metric in catalogue else "",
    }
    if done in ("progress", "verified"):
        context.update(message=t(f"improvement.done_{done}"), message_kind="ok")
    return render(request, "improvement/action.html", context)


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
