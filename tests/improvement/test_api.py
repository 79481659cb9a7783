"""REST API of the loop: every endpoint over all seven roles, scope (404 outside it), 403 for roles that may
not act, and typed errors. Data: the improvement fixture (conftest) with findings, actions and training."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from csqm.settings import Settings
from csqm.store import Store
from csqm.web import create_app, create_user_with_token
from csqm.web.tables import ensure_tables
from tests.improvement.conftest import INSPECTION_DAY_TEXT, populate

ROLES = ("admin", "quality_manager", "team_lead", "agent", "auditor", "test_call_manager", "tester")
READ_ALL = ("admin", "quality_manager", "auditor", "test_call_manager")
MANAGE = ("admin", "quality_manager")
P = "/api/v1/improvement"


class Client:
    def __init__(self, client: TestClient, tokens: dict[str, str], store: Store) -> None:
        self.client, self.tokens, self.store = client, tokens, store

    def call(self, method: str, path: str, role: str | None = "admin", json: Any = None, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return self.client.request(method, P + path, headers=headers, json=json, params=params or None)


@pytest.fixture
def api(settings: Settings, store: Store) -> Iterator[Client]:
    populate(store)
    ensure_tables(store)
    scope = {"team_lead": {"team_id": "T1"}, "agent": {"agent_id": "A1"}}
    tokens = {
        role: create_user_with_token(store, username=f"u_{role}", role=role, **scope.get(role, {}))[1]  # type: ignore[arg-type]
        for role in ROLES
    }
    with TestClient(create_app(settings, store=store)) as client:
        yield Client(client, tokens, store)


def _ids(response: Any, key: str) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(item[key] for item in response.json())


def test_reading_findings_over_every_role(api: Client) -> None:
    for role in ROLES:
        r = api.call("GET", "/findings", role)
        if role in READ_ALL:
            assert _ids(r, "finding_id") == ["F00001", "F00002", "F00003"], role
        elif role == "team_lead":
            assert _ids(r, "finding_id") == ["F00001", "F00002"]
        else:
            assert r.status_code == 403 and "may not read findings" in r.json()["error"], role
    assert api.call("GET", "/findings/F00003", "team_lead").status_code == 404  # T2's: outside the scope
    assert api.call("GET", "/findings/F00001", "team_lead").json()["scope_value"] == "T1"
    assert api.call("GET", "/findings", None).status_code == 401
    assert _ids(api.call("GET", "/findings", "auditor", source="manual"), "finding_id") == ["F00003"]


def test_reading_actions_over_every_role(api: Client) -> None:
    for role in ROLES:
        r = api.call("GET", "/actions", role)
        if role in READ_ALL:
            assert _ids(r, "action_id") == ["A00001", "A00002"], role
        elif role == "team_lead":
            assert _ids(r, "action_id") == ["A00001"]
        else:
            assert r.status_code == 403, role
        detail = api.call("GET", "/actions/A00002", role)
        assert detail.status_code == (200 if role in READ_ALL else 404 if role in ("team_lead", "agent") else 403), role
    body = api.call("GET", "/actions/A00001", "team_lead").json()
    assert body["action"]["title"] == "Staff T1 peaks" and body["events"][0]["kind"] == "created"


def test_overdue_listing(api: Client) -> None:
    for role in ROLES:
        r = api.call("GET", "/actions/overdue", role)
        if role in (*READ_ALL, "team_lead"):
            assert _ids(r, "action_id") == ["A00001"], role
            assert r.json()[0]["overdue"] is True
        else:
            assert r.status_code == 403, role


def test_training_records_and_needs_over_every_role(api: Client) -> None:
    for role in ROLES:
        r = api.call("GET", "/training", role)
        needs = api.call("GET", "/training/needs", role, **{"from": "2026-02-10", "to": INSPECTION_DAY_TEXT})
        if role in READ_ALL:
            assert _ids(r, "action_id") == ["T00001", "T00002"], role
            assert sorted((n["level"], n["agent_id"]) for n in needs.json()) == [("agent", "A1"), ("team", None)]
        elif role == "team_lead":
            assert _ids(r, "action_id") == ["T00001"]
            assert len(needs.json()) == 2
        elif role == "agent":
            assert _ids(r, "action_id") == ["T00001"]  # only their own
            assert [(n["level"], n["agent_id"]) for n in needs.json()] == [("agent", "A1")]
        else:
            assert r.status_code == 403 and needs.status_code == 403, role
    assert api.call("GET", "/actions/T00002", "agent").status_code == 404
    assert api.call("GET", "/actions/T00001", "agent").status_code == 200
    assert api.call("GET", "/training/needs", "agent", agent_id="B1").json() == []


def test_writes_over_every_role(api: Client) -> None:
    new_action = {"title": "Script refresh", "metric": "answer_rate", "scope_kind": "team", "scope_value": "T1"}
    for role in ROLES:
        allowed = role in MANAGE
        r = api.call("POST", "/actions", role, json=new_action)
        assert r.status_code == (201 if allowed else 403), (role, r.text)
        r = api.call("POST", "/training", role, json={"title": "Tone", "agent_id": "A2", "effective_on": "2026-02-02"})
        assert r.status_code == (201 if allowed else 403), role
        r = api.call("POST", "/findings", role, json={"title": "Seen by hand"})
        assert r.status_code == (201 if allowed else 403), role
        r = api.call("POST", "/findings/detect", role, json={"sources": ["inspection"]})
        assert r.status_code == (200 if allowed else 403), role
        r = api.call("PATCH", "/findings/F00003", role, json={"status": "closed"})
        assert r.status_code == (200 if allowed else 403), role
        r = api.call("POST", "/actions/A00002/progress", role, json={"note": f"by {role}"})
        assert r.status_code == (200 if allowed else 404 if role == "team_lead" else 403), role
    created = [a for a in api.call("GET", "/actions").json() if a["title"] == "Script refresh"]
    assert len(created) == 2 and {a["created_by"] for a in created} == {"u_admin", "u_quality_manager"}
    audit = api.store.query(
        'SELECT "username", "outcome", "target" FROM "web_audit" WHERE "action" = ? ORDER BY "at"',
        ("improvement_action_create",),
    )
    assert list(audit["username"]) == ["u_admin", "u_admin", "u_quality_manager", "u_quality_manager"]
    denied = api.store.query(
        'SELECT DISTINCT "username" FROM "web_audit" WHERE "outcome" = \'denied\' AND "action" LIKE ?',
        ("improvement:%",),
    )
    assert set(denied["username"]) == {"u_team_lead", "u_agent", "u_auditor", "u_test_call_manager", "u_tester"}


def test_team_lead_updates_only_status_and_progress_of_their_team(api: Client) -> None:
    r = api.call("PATCH", "/actions/A00001", "team_lead", json={"status": "in_progress", "note": "Rota changed"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = api.call("PATCH", "/actions/A00001", "team_lead", json={"owner": "me"})
    assert r.status_code == 403 and "only the status" in r.json()["error"]
    assert api.call("PATCH", "/actions/A00002", "team_lead", json={"status": "done"}).status_code == 404
    assert api.call("PATCH", "/actions/A00001", "auditor", json={"status": "done"}).status_code == 403
    r = api.call("POST", "/actions/A00001/progress", "team_lead", json={"note": "Half done", "status": "done"})
    assert r.status_code == 200 and r.json()["status"] == "done"
    events = api.call("GET", "/actions/A00001", "auditor").json()["events"]
    assert [(e["username"], e["kind"], e.get("note")) for e in events[1:]] == [
        ("u_team_lead", "status", None),
        ("u_team_lead", "progress", "Rota changed"),
        ("u_team_lead", "status", None),
        ("u_team_lead", "progress", "Half done"),
    ]


def test_verify_over_every_role(api: Client) -> None:
    for role in ROLES:
        r = api.call("POST", "/actions/A00001/verify", role, json={})
        assert r.status_code == (200 if role in MANAGE else 403), role
        if r.status_code == 200:
            body = r.json()
            assert body["verdict"] == "improved" and body["test"] == "two_proportion_z"
            assert body["before_value"] == pytest.approx(60.0) and body["after_value"] == pytest.approx(90.0)
    detail = api.call("GET", "/actions/A00001", "team_lead").json()
    assert [v["verification_no"] for v in detail["verifications"]] == [1, 2]


def test_bad_input_gives_clear_errors(api: Client) -> None:
    r = api.call("POST", "/actions", json={"title": "x", "metric": "nope"})
    assert r.status_code == 400 and "no metric 'nope'" in r.json()["error"]
    r = api.call("POST", "/actions", json={"title": "x", "finding_id": "F09999"})
    assert r.status_code == 404
    r = api.call("POST", "/actions", json={"title": "", "metric": "answer_rate"})
    assert r.status_code == 422 and "title" in r.json()["error"]
    r = api.call("POST", "/actions", json={"title": "x", "surprise": 1})
    assert r.status_code == 422
    r = api.call("PATCH", "/actions/A00001", json={"status": "finished"})
    assert r.status_code == 422
    r = api.call("POST", "/actions/A00001/verify", json={"alpha": 1.5})
    assert r.status_code == 422
    r = api.call("POST", "/actions/T00001/verify", json={})
    assert r.status_code == 400 and "without its metric" in r.json()["error"]
    assert api.call("GET", "/actions/nonsense").status_code == 422
    assert api.call("GET", "/actions/A09999").status_code == 404
