"""REST routes of this capability, mounted under ``/api/v1`` by :func:`csqm.web.routes.api_router`.

- ``POST /events``: a batch of events (a JSON list, or ``{"events": [...]}``), admins and quality
  managers (the roles a sending system's API user gets). Bad events are reported by index; the rest
  are processed.
- ``WS /events/ws?token=…``: the same for live chats and ASR segments, one JSON event or list per
  message, one JSON outcome per message; a bad message never closes the stream.
- ``GET /alerts``, ``POST /alerts/{id}/ack``: the alert log in the caller's scope, acknowledgement.
- ``GET /alerts/stream``: server-sent events for the live board (``?token=`` as EventSource cannot
  send headers).
- ``GET /queues/live``: live queue KPIs over the last 15 minutes.
- ``GET /realtime/status``: the pipeline's state for operators (ingress batches and their times,
  inspection queue, background step).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Body, HTTPException, Query, Request, WebSocket, WebSocketDisconnect, status
from fastapi.responses import StreamingResponse

from csqm.realtime.alerts import acknowledge, list_alerts, visible
from csqm.realtime.ingress import IngressError
from csqm.realtime.kpis import live_kpis
from csqm.realtime.runtime import Runtime, runtime_of
from csqm.web.auth import Principal, authenticate, cached_principal, record_audit
from csqm.web.deps import AppState, QuickUserDep, StateDep, StoreDep, UserDep

router = APIRouter(tags=["realtime"])

#: Roles that may send events (a sending system's API user is given one of them).
SENDERS = ("admin", "quality_manager")
#: Roles that see no alerts at all.
_NO_ALERTS = ("tester",)
MAX_BATCH = 10_000


def _runtime(request: Request | WebSocket, state: AppState) -> Runtime:
    return runtime_of(state, request.app.state)


def _sender(principal: Principal) -> None:
    if principal.role not in SENDERS:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"Sending events needs one of the roles {', '.join(SENDERS)}.")


def _reader(principal: Principal) -> None:
    if principal.role in _NO_ALERTS:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Your role does not see service alerts.")


def _events_of(body: Any) -> list[object]:
    events = body.get("events") if isinstance(body, dict) else body
    if not isinstance(events, list):
        raise HTTPException(422, "Send a JSON list of events, or an object with an 'events' list.")
    if len(events) > MAX_BATCH:
        raise HTTPException(413, f"At most {MAX_BATCH} events per request; split the batch.")
    return events


async def _ready_runtime(app: Any, state: AppState) -> Runtime:
    """The app's runtime; the first request creates it under the store lock (in a worker thread)."""
    runtime: Runtime | None = getattr(app.state, "csqm_realtime", None)
    if runtime is not None:
        return runtime

    def create() -> Runtime:
        with state.lock:
            return runtime_of(state, app.state)

    return await to_thread.run_sync(create)


async def _process(runtime: Runtime, events: list[object]) -> dict[str, Any]:
    """The request's outcome from the group committer (its events are merged with concurrent ones)."""
    try:
        outcome = await asyncio.wrap_future(runtime.submit(events))
    except IngressError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc
    return outcome.as_dict()


@router.post("/events", summary="Send a batch of real-time events")
async def post_events(request: Request, user: QuickUserDep, body: Annotated[Any, Body()]) -> dict[str, Any]:
    """Validate, store and evaluate the events; returns accepted/duplicate counts, the errors by
    event index, the alerts raised and the conversations inspected (ended). Concurrent requests are
    processed together (one transaction; each gets its own part of the outcome); 503 when the
    store failed (nothing of the request was kept)."""
    _sender(user)
    events = _events_of(body)
    state: AppState = request.app.state.csqm
    return await _process(await _ready_runtime(request.app, state), events)


async def _ws_principal(state: AppState, token: str) -> Principal | None:
    if not token:
        return None
    known = cached_principal(state.store, token=token)
    if known is not None:
        return known

    def auth() -> Principal | None:
        with state.lock:
            return authenticate(state.store, token=token)

    return await to_thread.run_sync(auth)


@router.websocket("/events/ws")
async def events_ws(websocket: WebSocket) -> None:
    """Live events over a WebSocket; authenticate with ``?token=`` or an ``Authorization`` header."""
    state: AppState = websocket.app.state.csqm
    header = websocket.headers.get("authorization", "")
    token = websocket.query_params.get("token") or (header[7:] if header.lower().startswith("bearer ") else "")
    principal = await _ws_principal(state, token)
    if principal is None or principal.role not in SENDERS:
        await websocket.close(code=4401 if principal is None else 4403)
        return
    await websocket.accept()
    runtime = await _ready_runtime(websocket.app, state)
    try:
        while True:
            text = await websocket.receive_text()
            try:
                body = json.loads(text)
            except json.JSONDecodeError as exc:
                await websocket.send_json(
                    {"error": f"The message is not JSON (line {exc.lineno}, column {exc.colno})."}
                )
                continue
            events = body if isinstance(body, list) else [body]
            if len(events) > MAX_BATCH:
                await websocket.send_json({"error": f"At most {MAX_BATCH} events per message."})
                continue
            try:
                reply = await _process(runtime, events)
            except HTTPException as exc:
                reply = {"error": exc.detail}
            await websocket.send_json(reply)
    except WebSocketDisconnect:
        return


@router.get("/alerts", summary="The alert log")
def get_alerts(
    store: StoreDep,
    user: UserDep,
    unacknowledged: bool = False,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Alerts in your scope, newest first (team leads: their team; agents: their own)."""
    _reader(user)
    alerts = list_alerts(store, principal=user, unacknowledged=unacknowledged, kind=kind, limit=limit)
    return {"alerts": [a.as_dict() for a in alerts]}


@router.post("/alerts/{alert_id}/ack", summary="Acknowledge an alert")
def ack_alert(request: Request, state: StateDep, store: StoreDep, user: UserDep, alert_id: str) -> dict[str, Any]:
    """Record that you acknowledged the alert (the first acknowledgement and its author are kept)."""
    _reader(user)
    if user.role == "auditor":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Auditors read alerts but do not acknowledge them.")
    alert = acknowledge(store, principal=user, alert=alert_id, now=_runtime(request, state).clock())
    record_audit(store, username=user.username, action="alert_ack", outcome="allowed", target=alert_id)
    return alert.as_dict()


@router.get("/queues/live", summary="Live queue KPIs")
def queues_live(request: Request, state: StateDep, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Service level, answered within 30 s and abandon rate per queue and team over the last 15 minutes."""
    _reader(user)
    runtime = _runtime(request, state)
    now = runtime.clock()
    kpis = live_kpis(store, now=now, config=runtime.config, catalogue=state.catalogue)
    if user.role == "team_lead" or user.role == "agent":
        kpis = [k for k in kpis if k.level == "team" and k.key == user.team_id]
    return {
        "as_of": now.isoformat() + "Z",
        "window_seconds": runtime.config.kpi.window_seconds,
        "kpis": [k.as_dict() for k in kpis],
    }


@router.get("/realtime/status", summary="State of the real-time pipeline")
def realtime_status(request: Request, state: StateDep, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """For operators (admins and quality managers): batches committed by the ingress and how long
    the last 1,000 took (p50 / p99 ms), ended conversations waiting for inspection and the oldest
    one's age, the background step (timers, inspection) and the live board's last number."""
    if user.role not in SENDERS:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"The real-time status is for the roles {', '.join(SENDERS)}.")
    return _runtime(request, state).status(store)


@router.get("/alerts/stream", summary="Live alerts (server-sent events)")
async def alert_stream(
    request: Request, token: str | None = None, after: Annotated[int, Query(ge=0)] = 0, once: bool = False
) -> StreamingResponse:
    """``text/event-stream`` of alerts in your scope as they are raised (``after``: resume after this
    board number; ``once``: send what is there and stop, for scripts and tests)."""
    state: AppState = request.app.state.csqm
    header = request.headers.get("authorization", "")
    secret = token or (header[7:] if header.lower().startswith("bearer ") else "")

    def setup() -> tuple[Principal | None, Runtime | None]:
        with state.lock:
            who = authenticate(state.store, token=secret) if secret else None
            return who, (runtime_of(state, request.app.state) if who is not None else None)

    principal, runtime = await to_thread.run_sync(setup)
    if principal is None or runtime is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Send an API token (?token= or a Bearer header).")
    _reader(principal)

    return alert_events(request, runtime, principal, after=after, once=once)


def alert_events(
    request: Request, runtime: Runtime, principal: Principal, *, after: int, once: bool
) -> StreamingResponse:
    """The board's alerts in ``principal``'s scope after board number ``after``, as server-sent
    events (``once``: what is there now, then stop); the API's and the console's live stream."""

    async def events() -> AsyncIterator[str]:
        cursor = after
        yield f": connected {datetime.now().isoformat()}\n\n"
        with runtime.board.waiter() as published:
            while True:
                published.clear()  # before reading: an alert published from here on wakes the wait
                for number, alert in runtime.board.since(cursor):
                    cursor = number
                    if visible(principal, alert):
                        data = json.dumps(alert.as_dict(), ensure_ascii=False)
                        yield f"id: {number}\nevent: alert\ndata: {data}\n\n"
                if once or await request.is_disconnected():
                    return
                with contextlib.suppress(TimeoutError):  # at least once a second: gone clients end
                    await asyncio.wait_for(published.wait(), 1.0)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
