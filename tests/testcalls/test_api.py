"""Confidentiality across all 7 roles × every test-call endpoint, and the API's happy paths."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from csqm.settings import Settings
from csqm.store import Store
from csqm.testcalls import BotServer, RecordInput, Scenario, record_result
from tests.testcalls.conftest import PLAN_FILE
from tests.web.conftest import ROLES, Api, make_api

MANAGERS = ("admin", "test_call_manager")
READ_ALL = (*MANAGERS, "auditor")


def _headers(api: Api, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.tokens[role]}"}


def _post(api: Api, path: str, role: str, body: dict[str, Any]) -> Any:
    return api.client.post(path, json=body, headers=_headers(api, role))


def _setup(api: Api) -> None:
    """Plan q1 stored and January scheduled via the API; results recorded for some tasks:
    T1 tasks answered by A1, T2 tasks by B1."""
    response = _post(
        api, "/api/v1/testcalls/plans", "test_call_manager", {"yaml": PLAN_FILE.read_text(encoding="utf-8")}
    )
    assert response.status_code == 201, response.text
    response = _post(api, "/api/v1/testcalls/plans/q1/schedule", "test_call_manager", {"month": "2026-01", "seed": 1})
    assert response.status_code == 201, response.text
    assert response.json()["tasks"] == 13 and response.json()["spot_checks"] == 3


def _record_some(api: Api, scenarios: dict[str, Scenario]) -> dict[str, str]:
    """Record every non-robot task; returns task → agent."""
    tasks = api.store.query('SELECT * FROM "testcall_tasks" WHERE "tester_kind" <> ? ORDER BY "task_id"', ("robot",))
    agents = {}
    for row in tasks.itertuples():
        agent = "A1" if row.team_id == "T1" else "B1"
        record_result(
            api.store, RecordInput(task_id=str(row.task_id), answered=True, agent_id=agent, resolved_on_spot=True),
            scenarios=scenarios, by=str(row.tester_id),
        )  # fmt: skip
        agents[str(row.task_id)] = agent
    return agents


@pytest.fixture
def tc_api(settings: Settings, duck: Store) -> Iterator[Api]:
    for api in make_api(settings, duck):
        _setup(api)
        yield api


@pytest.fixture
def tc_any_api(settings: Settings, store: Store) -> Iterator[Api]:
    for api in make_api(settings, store):
        _setup(api)
        yield api


def _tasks(api: Api) -> Any:
    return api.store.query('SELECT "task_id", "tester_id", "team_id" FROM "testcall_tasks" ORDER BY "task_id"')


@pytest.mark.parametrize("role", ROLES)
def test_tasks_matrix(tc_api: Api, role: str) -> None:
    tasks = _tasks(tc_api)
    mine = set(tasks[tasks["tester_id"] == "u_tester"]["task_id"])
    other = sorted(set(tasks["task_id"]) - mine)[0]
    listed = tc_api.get("/api/v1/testcalls/tasks", role)
    one = tc_api.get(f"/api/v1/testcalls/tasks/{other}", role)
    if role in READ_ALL:
        assert listed.status_code == 200 and len(listed.json()) == 13
        assert one.status_code == 200
    elif role == "tester":
        assert {t["task_id"] for t in listed.json()} == mine and mine
        assert one.status_code == 404  # another tester's task is not there
    else:  # quality managers, team leads and agents never see the schedule
        assert listed.status_code == 403 and one.status_code == 403
        assert "confidential" in listed.json()["error"]


@pytest.mark.parametrize("role", ROLES)
def test_plans_and_scenarios_matrix(tc_api: Api, role: str) -> None:
    plans = tc_api.get("/api/v1/testcalls/plans", role)
    scen = tc_api.get("/api/v1/testcalls/scenarios", role)
    if role in ("team_lead", "agent"):
        assert plans.status_code == 403 and scen.status_code == 403
        return
    assert plans.status_code == 200 and scen.status_code == 200
    (plan,) = plans.json()
    expected = ["u_tester", "agency1", "robot1"] if role in READ_ALL else ["u_tester"] if role == "tester" else []
    assert plan["plan_id"] == "q1" and plan["testers"] == expected
    assert plan["standards"]["phone_max_rings"] == 3


@pytest.mark.parametrize("role", ROLES)
def test_write_endpoints_matrix(tc_api: Api, role: str, scenarios: dict[str, Scenario]) -> None:
    tasks = _tasks(tc_api)
    mine = sorted(tasks[tasks["tester_id"] == "u_tester"]["task_id"])
    others = sorted(tasks[tasks["tester_id"] == "agency1"]["task_id"])
    before = tc_api.store.scalar('SELECT max("at") FROM "web_audit"')  # what the fixture's set-up logged
    schedule = _post(tc_api, "/api/v1/testcalls/plans/q1/schedule", role, {"month": "2026-02", "seed": 1})
    publish = _post(tc_api, "/api/v1/testcalls/plans/q1/publish", role, {})
    record_mine = _post(tc_api, "/api/v1/testcalls/results", role, {"task_id": mine[0], "answered": False})
    record_other = _post(tc_api, "/api/v1/testcalls/results", role, {"task_id": others[0], "answered": False})
    robot = _post(tc_api, "/api/v1/testcalls/robot/run", role, {"task_id": "x", "url": "http://127.0.0.1:1/chat"})
    if role in MANAGERS:
        assert (schedule.status_code, publish.status_code) == (201, 200)
        assert (record_mine.status_code, record_other.status_code) == (201, 201)
        assert robot.status_code == 400  # no such task: a clear error, not a crash
    elif role == "tester":
        assert (schedule.status_code, publish.status_code, robot.status_code) == (403, 403, 403)
        assert record_mine.status_code == 201 and record_other.status_code == 404
        assert record_mine.json()["fail_codes"] == "not_answered" and record_mine.json()["recorded_by"] == "u_tester"
    else:
        assert {r.status_code for r in (schedule, publish, record_mine, record_other, robot)} == {403}
    audited = tc_api.store.query(
        'SELECT "action", "target" FROM "web_audit"'
        ' WHERE "username" = ? AND "action" LIKE ? AND "at" > ? ORDER BY "at"',
        (f"u_{role}", "testcall_%", before),
    )
    expected = {
        "managers": [
            ("testcall_schedule", "q1 2026-02"), ("testcall_publish", "q1"),
            ("testcall_record", mine[0]), ("testcall_record", others[0]),
        ],
        "tester": [("testcall_record", mine[0])],
    }.get("managers" if role in MANAGERS else role, [])  # fmt: skip
    assert list(audited.itertuples(index=False, name=None)) == expected


def test_followup_close_is_audited(tc_api: Api, scenarios: dict[str, Scenario]) -> None:
    tasks = _tasks(tc_api)
    mine = sorted(tasks[tasks["tester_id"] == "u_tester"]["task_id"])[0]
    record_result(
        tc_api.store,
        RecordInput(task_id=mine, answered=True, resolved_on_spot=False, follow_up_promised=True),
        scenarios=scenarios, by="x",
    )  # fmt: skip
    done = _post(tc_api, f"/api/v1/testcalls/followups/{mine}/close", "tester", {"resolved_at": "2026-01-01T10:00:00"})
    assert done.status_code == 200
    audited = tc_api.store.query(
        'SELECT "username", "target" FROM "web_audit" WHERE "action" = ?', ("testcall_followup_close",)
    )
    assert list(audited.itertuples(index=False, name=None)) == [("u_tester", mine)]


def test_no_token(tc_api: Api) -> None:
    for path in ("/api/v1/testcalls/tasks", "/api/v1/testcalls/results", "/api/v1/testcalls/report"):
        assert tc_api.get(path, role=None).status_code == 401


def test_results_visible_only_after_publish(tc_any_api: Api, scenarios: dict[str, Scenario]) -> None:
    api = tc_any_api
    agents = _record_some(api, scenarios)
    tasks = _tasks(api).set_index("task_id")
    recorded = set(agents)
    mine = {t for t in recorded if tasks.loc[t, "tester_id"] == "u_tester"}

    def seen(role: str) -> set[str]:
        response = api.get("/api/v1/testcalls/results", role)
        assert response.status_code == 200, (role, response.text)
        return {r["task_id"] for r in response.json()}

    before = {role: seen(role) for role in ROLES}
    assert before["quality_manager"] == before["team_lead"] == before["agent"] == set()
    assert before["tester"] == mine and all(before[r] == recorded for r in READ_ALL)
    assert api.get("/api/v1/testcalls/report", "agent").json()["overall"]["tests"] == 0
    assert _post(api, "/api/v1/testcalls/plans/q1/publish", "test_call_manager", {}).json()["published"] == len(
        recorded
    )
    after = {role: seen(role) for role in ROLES}
    assert after["quality_manager"] == recorded
    assert after["team_lead"] == {t for t in recorded if tasks.loc[t, "team_id"] == "T1"}
    assert after["agent"] == {t for t in recorded if agents[t] == "A1"}
    assert after["tester"] == mine
    some_t2 = sorted(t for t in recorded if agents[t] == "B1")[0]
    assert api.get(f"/api/v1/testcalls/results/{some_t2}", "agent").status_code == 404
    seen_by_qm = api.get(f"/api/v1/testcalls/results/{some_t2}", "quality_manager")
    assert seen_by_qm.status_code == 200 and seen_by_qm.json()["tester_id"] is None  # testers stay unknown
    assert seen_by_qm.json()["recorded_by"] is None
    assert api.get(f"/api/v1/testcalls/results/{some_t2}", "auditor").json()["tester_id"] is not None
    report = api.get("/api/v1/testcalls/report", "team_lead", by="agent").json()
    assert report["overall"]["tests"] == len(after["team_lead"])
    assert [g["group"] for g in report["groups"]] == ["A1"]


def test_report_exports_and_followups(tc_api: Api, scenarios: dict[str, Scenario]) -> None:
    _record_some(tc_api, scenarios)
    csv = tc_api.get("/api/v1/testcalls/report", "admin", by="team", format="csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.lstrip("\ufeff").splitlines()[0].startswith("team,tests,answered_pct,passed_pct")
    xlsx = tc_api.get("/api/v1/testcalls/report", "admin", format="xlsx", plan_id="q1")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert tc_api.get("/api/v1/testcalls/report", "admin", plan_id="nope").status_code == 404
    assert tc_api.get("/api/v1/testcalls/report", "admin", by="colour").status_code == 422
    assert tc_api.get("/api/v1/testcalls/followups", "agent").status_code == 403
    assert tc_api.get("/api/v1/testcalls/followups", "admin").json() == []


def test_robot_via_api(tc_api: Api) -> None:
    task = str(tc_api.store.scalar('SELECT min("task_id") FROM "testcall_tasks" WHERE "tester_kind" = ?', ("robot",)))
    with BotServer() as bot:
        response = _post(tc_api, "/api/v1/testcalls/robot/run", "test_call_manager", {"task_id": task, "url": bot.url})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["answered"] and body["problems"] == [] and len(body["latencies"]) == 2
    result = tc_api.get(f"/api/v1/testcalls/results/{task}", "admin").json()
    assert result["source"] == "robot" and result["recorded_by"] == "u_test_call_manager"


def test_bad_record_is_400_with_fields(tc_api: Api) -> None:
    tasks = _tasks(tc_api)
    mine = sorted(tasks[tasks["tester_id"] == "u_tester"]["task_id"])[0]
    response = _post(
        tc_api, "/api/v1/testcalls/results", "tester", {"task_id": mine, "answered": True, "key_points_covered": ["zz"]}
    )
    assert response.status_code == 400 and "key_points_covered: zz" in response.json()["error"]
    response = _post(tc_api, "/api/v1/testcalls/results", "tester", {"task_id": mine, "answered": True, "attitude": 7})
    assert response.status_code == 422 and "attitude" in response.json()["error"]


def test_followup_close_by_role(tc_api: Api, scenarios: dict[str, Scenario]) -> None:
    tasks = _tasks(tc_api)
    mine = sorted(tasks[tasks["tester_id"] == "u_tester"]["task_id"])
    others = sorted(tasks[tasks["tester_id"] == "agency1"]["task_id"])
    for task_id in (mine[0], others[0]):
        record_result(
            tc_api.store,
            RecordInput(task_id=task_id, answered=True, resolved_on_spot=False, follow_up_promised=True),
            scenarios=scenarios, by="x",
        )  # fmt: skip
    listed = tc_api.get("/api/v1/testcalls/followups", "tester").json()
    assert [(f["task_id"], f["state"]) for f in listed] == [(mine[0], "open")]
    assert len(tc_api.get("/api/v1/testcalls/followups", "auditor").json()) == 2
    close = "/api/v1/testcalls/followups/{}/close"
    assert _post(tc_api, close.format(others[0]), "tester", {}).status_code == 404
    assert _post(tc_api, close.format(mine[0]), "agent", {}).status_code == 403
    assert _post(tc_api, close.format(mine[0]), "auditor", {}).status_code == 403
    done = _post(tc_api, close.format(mine[0]), "tester", {"resolved_at": "2026-01-01T10:00:00"})
    assert done.status_code == 200 and done.json()["follow_up_resolved_at"] == "2026-01-01T02:00:00"
    assert _post(tc_api, close.format(mine[0]), "tester", {}).status_code == 400  # already closed
    assert tc_api.get("/api/v1/testcalls/followups", "tester").json() == []
    closed = tc_api.get("/api/v1/testcalls/followups", "tester", include_closed="true").json()
    assert [f["state"] for f in closed] == ["resolved"]


@pytest.mark.parametrize("role", ROLES)
def test_plan_detail_and_report_matrix(tc_api: Api, role: str) -> None:
    plan = tc_api.get("/api/v1/testcalls/plans/q1", role)
    missing = tc_api.get("/api/v1/testcalls/plans/nope", role)
    report = tc_api.get("/api/v1/testcalls/report", role, by="scenario")
    if role in ("team_lead", "agent"):
        assert (plan.status_code, missing.status_code) == (403, 403)
    else:
        assert (plan.status_code, missing.status_code) == (200, 404)
    assert report.status_code == 200 and report.json()["dimension"] == "scenario"
    assert tc_api.get("/api/v1/testcalls/tasks/nope", role).status_code == (
        404 if role in (*READ_ALL, "tester") else 403
    )


def test_plan_with_unknown_team_is_refused(tc_api: Api) -> None:
    text = PLAN_FILE.read_text(encoding="utf-8").replace("teams: [T1, T2]", "teams: [T1, T9]")
    response = _post(tc_api, "/api/v1/testcalls/plans", "admin", {"yaml": text})
    assert response.status_code == 400
    assert response.json()["error"] == "Plans name teams that are not in the store (q1: T9)."
    broken = _post(tc_api, "/api/v1/testcalls/plans", "admin", {"yaml": "version: 1\nplans: [\n"})
    assert (
        broken.status_code == 400
        and "plan.yaml:" in broken.json()["error"]
        and "not valid YAML" in broken.json()["error"]
    )
