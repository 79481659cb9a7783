"""``/teams`` and ``/agents``: the organisation the caller may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from csqm.web import services
from csqm.web.deps import StoreDep, UserDep
from csqm.web.routes.common import ERRORS
from csqm.web.schemas import AgentPublic, TeamPublic

router = APIRouter(tags=["organisation"], responses=ERRORS)


@router.get("/teams", response_model=list[TeamPublic])
def read_teams(user: UserDep, store: StoreDep) -> list[TeamPublic]:
    """Teams in the caller's scope."""
    return services.list_teams(store, principal=user)


@router.get("/agents", response_model=list[AgentPublic])
def read_agents(
    user: UserDep,
    store: StoreDep,
    team_id: Annotated[str | None, Query(max_length=200, description="Only this team's agents.")] = None,
) -> list[AgentPublic]:
    """Agents in the caller's scope."""
    return services.list_agents(store, principal=user, team_id=team_id)
