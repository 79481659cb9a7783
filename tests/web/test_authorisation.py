"""The authorisation matrix: every role × every endpoint, scope enforced, denials audited."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import ROLES, Api

ALL = ("admin", "quality_manager", "auditor", "test_call_manager")
ENDPOINTS = (
    "/api/v1/metrics",
    "/api/v1/kpis",
    "/api/v1/teams",
    "/api/v1/agents",
    "/api/v1/conversations",
    "/api/v1/conversations/I1",
)

#: role → (teams, agents, conversations, answer rate (numerator, denominator)) it may see.
SCOPE: dict[str, tuple[list[str], list[str], set[str], tuple[float, float]]] = {
    **{r: (["T1", "T2"], ["A1", "A2", "B1"], {"I1", "I2", "I3", "I4", "I5", "I6"}, (5, 6)) for r in ALL},
    "team_lead": (["T1"], ["A1", "A2"], {"I1", "I2", "I3", "I4"}, (3, 4)),
    "agent": (["T1"], ["A1"], {"I1", "I2", "I3"}, (2, 3)),
    "tester": ([], [], set(), (0, 0)),
}


def _ok(api: Api, path: str, role: str, **params: Any) -> Any:
    response = api.get(path, role, **params)
    assert response.status_code == 200, (role, path, response.text)
    return response.json()


def _audit(api: Api, action: str) -> list[tuple[Any, ...]]:
    frame = api.store.query(
        'SELECT "username", "target", "outcome" FROM "web_audit" WHERE "action" = ? ORDER BY "at"', (action,)
    )
    return [tuple(r) for r in frame.itertuples(index=False)]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_no_token_is_401(api: Api, path: str) -> None:
    response = api.get(path, role=None)
    assert response.status_code == 401
    assert "token" in response.json()["error"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_unknown_token_is_401_and_audited(api: Api, path: str) -> None:
    response = api.client.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.json() == {"error": "The API token is unknown or revoked."}
    assert _audit(api, "token_auth") == [(None, None, "denied")]


@pytest.mark.parametrize("role", ROLES)
def test_matrix(api: Api, role: str) -> None:
    teams, agents, conversations, (num, den) = SCOPE[role]
    assert len(_ok(api, "/api/v1/metrics", role)) > 10
    assert [t["team_id"] for t in _ok(api, "/api/v1/teams", role)] == teams
    assert [a["agent_id"] for a in _ok(api, "/api/v1/agents", role)] == agents
    listed = _ok(api, "/api/v1/conversations", role)
    assert ({c["interaction_id"] for c in listed["items"]}, listed["total"]) == (conversations, len(conversations))
    (row,) = _ok(api, "/api/v1/kpis", role, metrics="answer_rate")["rows"]
    assert (row["numerator"], row["denominator"]) == (num, den)
    for interaction_id in ("I1", "I4", "I5"):
        response = api.get(f"/api/v1/conversations/{interaction_id}", role)
        expected = 200 if interaction_id in conversations else 404
        assert response.status_code == expected, (role, interaction_id)


@pytest.mark.parametrize("role", ["team_lead", "agent"])
def test_other_team_cannot_be_reached_by_id_or_filter(api: Api, role: str) -> None:
    assert _ok(api, "/api/v1/agents", role, team_id="T2") == []
    assert _ok(api, "/api/v1/conversations", role, team_id="T2")["total"] == 0
    assert _ok(api, "/api/v1/conversations", role, agent_id="B1")["total"] == 0
    (row,) = _ok(api, "/api/v1/kpis", role, metrics="answer_rate", where="team=T2")["rows"]
    assert (row["value"], row["denominator"], row["status"]) == (None, 0, None)


def test_team_lead_other_team_conversation_is_404_and_audited(any_api: Api) -> None:
    """On DuckDB and PostgreSQL: same answer as a missing id, and the attempt is in the audit log."""
    denied = any_api.get("/api/v1/conversations/I5", "team_lead")
    missing = any_api.get("/api/v1/conversations/NOPE", "team_lead")
    assert denied.status_code == missing.status_code == 404
    assert "I5" in denied.json()["error"]
    assert _ok(any_api, "/api/v1/conversations/I1", "team_lead")["conversation"]["team_id"] == "T1"
    assert [a["agent_id"] for a in _ok(any_api, "/api/v1/agents", "team_lead")] == ["A1", "A2"]
    assert _audit(any_api, "conversation_view") == [
        ("u_team_lead", "I5", "denied"),
        ("u_team_lead", "NOPE", "not_found"),
        ("u_team_lead", "I1", "allowed"),
    ]


def test_scope_conditions_are_fresh_lists() -> None:
    """Appending filters to one request's scope parameters must never leak into the next request."""
    from csqm.web.auth import Principal
    from csqm.web.scope import condition

    for principal in (Principal("t", "tester"), Principal("l", "team_lead"), Principal("a", "admin")):
        _, first = condition(principal, team_col="t", agent_col="a")
        first.append("leak")
        _, second = condition(principal, team_col="t", agent_col="a")
        assert "leak" not in second


def test_tester_filters_do_not_accumulate(api: Api) -> None:
    for _ in range(3):
        assert _ok(api, "/api/v1/conversations", "tester", agent_id="A1", team_id="T1")["total"] == 0
    assert _ok(api, "/api/v1/conversations", "admin", agent_id="A1")["total"] == 3
