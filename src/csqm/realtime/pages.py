"""Console pages of this capability, mounted by the console's page router under ``/realtime``.

- ``GET /realtime``: the live board (admins, quality managers, team leads; a team lead sees only their
  team's alerts and queue KPIs). It is rendered on the console's base template with the recent alerts
  and the live queue KPIs, then kept up to date in the browser:
- ``GET /realtime/stream``: server-sent events of new alerts in the user's scope (session cookie);
- ``GET /realtime/kpis``: the live queue KPIs as JSON (refreshed every five seconds);
- ``POST /realtime/alerts/{alert_id}/ack``: acknowledge an alert (CSRF header ``X-CSRF-Token``).

They call the same scoped functions as the API routes (:mod:`csqm.realtime.api`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from csqm.realtime.alerts import acknowledge, list_alerts
from csqm.realtime.api import alert_events
from csqm.realtime.kpis import LiveKpi, live_kpis
from csqm.realtime.runtime import Runtime, runtime_of
from csqm.web.auth import Principal, record_audit
from csqm.web.console import SESSION_COOKIE, CsrfDep, LoginRequiredError, PageUserDep, render, require_roles
from csqm.web.deps import AppState, StateDep, StoreDep
from csqm.web.sessions import session_for

router = APIRouter()

#: Roles that open the live board.
BOARD_ROLES = ("admin", "quality_manager", "team_lead")


def _runtime(request: Request, state: AppState) -> Runtime:
    return runtime_of(state, request.app.state)


def _kpis(store: Any, user: Principal, runtime: Runtime, state: AppState) -> tuple[datetime, list[LiveKpi]]:
    now = runtime.clock()
    kpis = live_kpis(store, now=now, config=runtime.config, catalogue=state.catalogue)
    if user.role == "team_lead":
        kpis = [k for k in kpis if k.level == "team" and k.key == user.team_id]
    return now, kpis


@router.get("", response_class=HTMLResponse)
def board_page(request: Request, user: PageUserDep, state: StateDep, store: StoreDep) -> HTMLResponse:
    """The live board: recent alerts (acknowledge in place) and live queue KPIs."""
    require_roles(user, *BOARD_ROLES)
    runtime = _runtime(request, state)
    alerts = list_alerts(store, principal=user, limit=50)
    now, kpis = _kpis(store, user, runtime, state)
    context = {
        "alerts": [a.as_dict() for a in alerts],
        "kpis": [k.as_dict() for k in kpis],
        "as_of": now.isoformat(timespec="seconds") + "Z",
        "window_minutes": runtime.config.kpi.window_seconds // 60,
        "cursor": runtime.board.last,
    }
    return render(request, "realtime/board.html", context)


@router.get("/kpis")
def kpis_json(request: Request, user: PageUserDep, state: StateDep, store: StoreDep) -> dict[str, Any]:
    """The live queue KPIs in the user's scope, for the board's refresh."""
    require_roles(user, *BOARD_ROLES)
    now, kpis = _kpis(store, user, _runtime(request, state), state)
    return {"as_of": now.isoformat(timespec="seconds") + "Z", "kpis": [k.as_dict() for k in kpis]}


@router.post("/alerts/{alert_id}/ack", dependencies=[CsrfDep])
def ack(request: Request, user: PageUserDep, state: StateDep, store: StoreDep, alert_id: str) -> dict[str, Any]:
    """Acknowledge an alert in the user's scope (404 outside it)."""
    require_roles(user, *BOARD_ROLES)
    alert = acknowledge(store, principal=user, alert=alert_id, now=_runtime(request, state).clock())
    record_audit(store, username=user.username, action="alert_ack", outcome="allowed", target=alert_id)
    return alert.as_dict()


@router.get("/stream")
async def stream(request: Request, after: Annotated[int, Query(ge=0)] = 0, once: bool = False) -> StreamingResponse:
    """``text/event-stream`` of new alerts in the user's scope (``after``: the board number last seen;
    ``once``: send what is there and stop, for tests). The store lock is held only to check the session."""
    state: AppState = request.app.state.csqm
    cookie = request.cookies.get(SESSION_COOKIE)

    def setup() -> tuple[Principal | None, Runtime]:
        with state.lock:
            session = session_for(state.store, cookie=cookie) if cookie else None
            return (session.principal if session else None), runtime_of(state, request.app.state)

    principal, runtime = await to_thread.run_sync(setup)
    if principal is None:
        raise LoginRequiredError("Please log in.")
    require_roles(principal, *BOARD_ROLES)

    return alert_events(request, runtime, principal, after=after, once=once)
