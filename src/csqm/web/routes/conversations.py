"""``/conversations``: the paginated list and one conversation with transcript and findings."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from csqm.web import conversations
from csqm.web.deps import StateDep, StoreDep, UserDep
from csqm.web.routes.common import ERRORS
from csqm.web.schemas import ConversationDetail, ConversationPage

router = APIRouter(prefix="/conversations", tags=["conversations"], responses=ERRORS)


@router.get("", response_model=ConversationPage)
def read_conversations(
    user: UserDep,
    store: StoreDep,
    state: StateDep,
    agent_id: Annotated[str | None, Query(max_length=200)] = None,
    team_id: Annotated[str | None, Query(max_length=200)] = None,
    start: Annotated[
        date | None, Query(alias="from", description="First local date (reporting zone), inclusive.")
    ] = None,
    end: Annotated[date | None, Query(alias="to", description="Last local date (reporting zone), inclusive.")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ConversationPage:
    """Conversations in the caller's scope, newest first."""
    return conversations.list_conversations(
        store,
        principal=user,
        agent_id=agent_id,
        team_id=team_id,
        start=start,
        end=end,
        page=page,
        page_size=page_size,
        timezone=state.settings.timezone,
    )


@router.get("/{interaction_id}", response_model=ConversationDetail)
def read_conversation(
    user: UserDep, store: StoreDep, interaction_id: Annotated[str, Path(max_length=200)]
) -> ConversationDetail:
    """One conversation: masked transcript, inspection result and findings with their spans."""
    return conversations.get_conversation(store, principal=user, interaction_id=interaction_id)
