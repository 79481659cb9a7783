"""Drill-down: centre → team → agent → the agent's conversations → one conversation, and the customer 360."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from csqm.web import conversations, customers, drilldown
from csqm.web.console import SERVICE_ROLES, PageUserDep, render, require_roles
from csqm.web.conversation_view import conversation_view
from csqm.web.deps import CatalogueDep, StateDep, StoreDep

router = APIRouter()
IdPath = Annotated[str, Path(max_length=200)]
PAGE_SIZE = 50


def _metric_names(catalogue: CatalogueDep) -> dict[str, tuple[str, str, str]]:
    return {m: (catalogue[m].name.zh, catalogue[m].name.en, catalogue[m].unit) for m in drilldown.headline(catalogue)}


@router.get("/teams", response_class=HTMLResponse)
def teams_page(request: Request, user: PageUserDep, store: StoreDep, catalogue: CatalogueDep) -> HTMLResponse:
    """Centres and their teams in scope, with headline KPIs."""
    require_roles(user, *SERVICE_ROLES)
    rows = drilldown.team_rows(store, principal=user, catalogue=catalogue)
    return render(request, "teams.html", {"rows": rows, "metrics": _metric_names(catalogue)})


@router.get("/teams/{team_id}", response_class=HTMLResponse)
def team_page(
    request: Request, user: PageUserDep, store: StoreDep, catalogue: CatalogueDep, team_id: IdPath
) -> HTMLResponse:
    """One team and its agents with headline KPIs (404 outside scope)."""
    require_roles(user, *SERVICE_ROLES)
    team, agents = drilldown.team_detail(store, principal=user, catalogue=catalogue, team_id=team_id)
    return render(request, "team.html", {"team": team, "rows": agents, "metrics": _metric_names(catalogue)})


@router.get("/agents/{agent_id}", response_class=HTMLResponse)
def agent_page(
    request: Request,
    user: PageUserDep,
    store: StoreDep,
    state: StateDep,
    catalogue: CatalogueDep,
    agent_id: IdPath,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    """One agent's KPIs and conversations (dates in the reporting zone), newest first."""
    require_roles(user, *SERVICE_ROLES)
    agent = drilldown.agent_detail(store, principal=user, catalogue=catalogue, agent_id=agent_id)
    listing = conversations.list_conversations(
        store,
        principal=user,
        agent_id=agent_id,
        start=start,
        end=end,
        page=page,
        page_size=PAGE_SIZE,
        timezone=state.settings.timezone,
    )
    context = {
        "agent": agent,
        "listing": listing,
        "metrics": _metric_names(catalogue),
        "start": start,
        "end": end,
        "pages": (listing.total + PAGE_SIZE - 1) // PAGE_SIZE,
        "tz": state.settings.timezone,
    }
    return render(request, "agent.html", context)


@router.get("/conversations/{interaction_id}", response_class=HTMLResponse)
def conversation_page(
    request: Request, user: PageUserDep, store: StoreDep, state: StateDep, interaction_id: IdPath
) -> HTMLResponse:
    """The transcript with findings marked at their spans, the score and scorecard items (audited)."""
    require_roles(user, *SERVICE_ROLES)
    view = conversation_view(store, principal=user, interaction_id=interaction_id)
    return render(request, "conversation.html", {"view": view, "tz": state.settings.timezone})


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(
    request: Request, user: PageUserDep, store: StoreDep, state: StateDep, customer_id: IdPath
) -> HTMLResponse:
    """The customer 360: their history across every channel, in the user's scope (audited)."""
    require_roles(user, *SERVICE_ROLES)
    history = customers.customer_history(store, principal=user, customer_id=customer_id)
    return render(request, "customer.html", {"history": history, "tz": state.settings.timezone})
