"""Scope: which teams, agents and conversations a role may see, as SQL conditions with parameters.

Admins, quality managers, auditors and test-call managers see everything; a team lead sees their own
team; an agent sees only themselves; a tester sees no service data at all (only their own test-call
tasks, which the test-call service scopes). Every service applies these conditions, so no URL or id reaches other data.
"""

from __future__ import annotations

from typing import Any

from csqm.web.auth import Principal

_ALL = ("admin", "quality_manager", "auditor", "test_call_manager")
#: A condition that matches nothing, for a scoped user whose team or agent id is missing.
_NOTHING = "1 = 0"


def condition(principal: Principal, *, team_col: str, agent_col: str | None) -> tuple[str, list[Any]]:
    """``(sql, params)`` restricting rows to the principal's scope (``"1 = 1"`` for everything).

    The parameter list is new on every call, so callers may append to it.
    """
    sql, params = _condition(principal, team_col=team_col, agent_col=agent_col)
    return sql, list(params)


def _condition(principal: Principal, *, team_col: str, agent_col: str | None) -> tuple[str, list[Any]]:
    if principal.role in _ALL:
        return "1 = 1", []
    if principal.role == "team_lead":
        return (f"{team_col} = ?", [principal.team_id]) if principal.team_id else (_NOTHING, [])
    if principal.role == "agent" and agent_col is not None:
        return (f"{agent_col} = ?", [principal.agent_id]) if principal.agent_id else (_NOTHING, [])
    if principal.role == "agent":
        return (f"{team_col} = ?", [principal.team_id]) if principal.team_id else (_NOTHING, [])
    return _NOTHING, []


def metric_filters(principal: Principal) -> list[str]:
    """``--where`` conditions that keep KPIs within the principal's scope."""
    if principal.role in _ALL:
        return []
    if principal.role == "team_lead":
        return [f"team={principal.team_id or '-'}"]
    if principal.role == "agent":
        return [f"agent={principal.agent_id or '-'}"]
    return ["agent=-"]
