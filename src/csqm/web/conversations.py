"""Conversation services: the scoped, paginated list and the single conversation (audited)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from csqm.store import Store
from csqm.store.rows import records
from csqm.web import scope
from csqm.web.auth import Outcome, Principal, record_audit
from csqm.web.errors import NotFoundError, check_window
from csqm.web.schemas import (
    ConversationDetail,
    ConversationPage,
    ConversationPublic,
    FindingPublic,
    InspectionPublic,
    TurnPublic,
)

_COLUMNS = (
    "interaction_id, channel, direction, queue, customer_id, agent_id, team_id, offered_at, answered_at, "
    "ended_at, talk_seconds, topic, resolved"
)
_SELECT = (
    ", ".join(f'i."{c.strip()}"' for c in _COLUMNS.split(",")) + ', r."score", r."passed" FROM "interactions" AS i '
    'LEFT JOIN "inspection_results" AS r ON r."interaction_id" = i."interaction_id"'
)
_TURN_COLUMNS = ", ".join(f'"{c}"' for c in TurnPublic.model_fields)
_FINDING_COLUMNS = ", ".join(f'"{c}"' for c in FindingPublic.model_fields)
_INSPECTION_COLUMNS = ", ".join(f'"{c}"' for c in InspectionPublic.model_fields)


def local_midnight_utc(day: date, timezone: str) -> datetime:
    """The UTC instant (naive, as stored) at which ``day`` starts in the reporting zone."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone)).astimezone(UTC).replace(tzinfo=None)


def _filters(
    principal: Principal,
    *,
    agent_id: str | None,
    team_id: str | None,
    start: date | None,
    end: date | None,
    timezone: str,
) -> tuple[str, list[Any]]:
    cond, params = scope.condition(principal, team_col='i."team_id"', agent_col='i."agent_id"')
    parts = [cond]
    if agent_id is not None:
        parts.append('i."agent_id" = ?')
        params.append(agent_id)
    if team_id is not None:
        parts.append('i."team_id" = ?')
        params.append(team_id)
    if start is not None:
        parts.append('i."offered_at" >= ?')
        params.append(local_midnight_utc(start, timezone))
    if end is not None:
        parts.append('i."offered_at" < ?')
        params.append(local_midnight_utc(end + timedelta(days=1), timezone))
    return " AND ".join(parts), params


def list_conversations(
    store: Store,
    *,
    principal: Principal,
    agent_id: str | None = None,
    team_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
    page: int = 1,
    page_size: int = 50,
    timezone: str = "Asia/Shanghai",
) -> ConversationPage:
    """Conversations in scope, newest first; ``start``/``end`` are inclusive dates in the reporting zone."""
    check_window(start, end)
    cond, params = _filters(principal, agent_id=agent_id, team_id=team_id, start=start, end=end, timezone=timezone)
    total = int(store.scalar(f'SELECT count(*) FROM "interactions" AS i WHERE {cond}', params) or 0)
    frame = store.query(
        f'SELECT {_SELECT} WHERE {cond} ORDER BY i."offered_at" DESC, i."interaction_id" LIMIT ? OFFSET ?',
        [*params, page_size, (page - 1) * page_size],
    )
    items = [ConversationPublic(**r) for r in records(frame)]
    return ConversationPage(items=items, total=total, page=page, page_size=page_size)


def get_conversation(store: Store, *, principal: Principal, interaction_id: str) -> ConversationDetail:
    """One conversation in scope with transcript, inspection and findings; the view is audited.

    Out of scope and missing look the same (:class:`NotFoundError`), so ids cannot be probed.
    """
    cond, params = scope.condition(principal, team_col='i."team_id"', agent_col='i."agent_id"')
    frame = store.query(f'SELECT {_SELECT} WHERE i."interaction_id" = ? AND {cond}', [interaction_id, *params])
    if frame.empty:
        exists = store.scalar('SELECT count(*) FROM "interactions" WHERE "interaction_id" = ?', (interaction_id,))
        outcome: Outcome = "denied" if exists else "not_found"
        record_audit(
            store, username=principal.username, action="conversation_view", target=interaction_id, outcome=outcome
        )
        raise NotFoundError(f"There is no conversation {interaction_id!r} that you may see.")
    record_audit(
        store, username=principal.username, action="conversation_view", target=interaction_id, outcome="allowed"
    )
    key = (interaction_id,)
    turns = store.query(f'SELECT {_TURN_COLUMNS} FROM "utterances" WHERE "interaction_id" = ? ORDER BY "seq"', key)
    found = store.query(
        f'SELECT {_FINDING_COLUMNS} FROM "inspection_findings" WHERE "interaction_id" = ? ORDER BY "finding_no"', key
    )
    result = store.query(f'SELECT {_INSPECTION_COLUMNS} FROM "inspection_results" WHERE "interaction_id" = ?', key)
    inspection = [InspectionPublic(**r) for r in records(result)]
    return ConversationDetail(
        conversation=ConversationPublic(**records(frame)[0]),
        turns=[TurnPublic(**r) for r in records(turns)],
        inspection=inspection[0] if inspection else None,
        findings=[FindingPublic(**r) for r in records(found)],
    )
