"""Console pages: plan list, a tester's tasks, the record form (CSRF, errors shown, masking), publishing
and the report, for every role and in both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from csqm.settings import Settings
from csqm.store import Store
from csqm.testcalls import Scenario, load_plans, save_plans, schedule
from csqm.web.i18n import table
from tests.testcalls.conftest import PLAN_FILE
from tests.web.conftest import ROLES, Console, make_console


@pytest.fixture
def tc_console(settings: Settings, duck: Store, scenarios: dict[str, Scenario]) -> Iterator[Console]:
    for console in make_console(settings, duck):
        save_plans(duck, load_plans(PLAN_FILE, scenarios))
        schedule(duck, "q1", "2026-01", seed=1, scenarios=scenarios)
        yield console


def _csrf(console: Console, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', console.get(path).text)
    assert found
    return found.group(1)


def test_translations_have_the_same_keys() -> None:
    zh = {k for k in table("zh") if k.startswith("testcalls.")}
    en = {k for k in table("en") if k.startswith("testcalls.")}
    assert zh == en and len(zh) > 50


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(tc_console: Console, role: str) -> None:
    assert tc_console.login(role).status_code == 303
    plans, tasks, report = (tc_console.get(p) for p in ("/testcalls", "/testcalls/tasks", "/testcalls/report"))
    assert report.status_code == 200 and "⟦" not in report.text
    if role in ("team_lead", "agent"):
        assert plans.status_code == 403 and tasks.status_code == 403
        return
    assert plans.status_code == 200 and "2026年第一季度拨测计划" in plans.text and "⟦" not in plans.text
    if role == "quality_manager":
        assert tasks.status_code == 403
        return
    assert tasks.status_code == 200 and "⟦" not in tasks.text
    ids = set(re.findall(r"q1-2026-01-[QS]\d{4}", tasks.text))
    owners = tc_console.store.query('SELECT "task_id", "tester_id" FROM "testcall_tasks"')
    expected = set(owners["task_id"]) if role != "tester" else set(owners[owners["tester_id"] == "u_tester"]["task_id"])
    assert ids == expected
    assert ("/publish" in plans.text) == (role in ("admin", "test_call_manager"))


def test_record_form_flow(tc_console: Console, scenarios: dict[str, Scenario]) -> None:
    store = tc_console.store
    task = str(
        store.scalar(
            'SELECT min("task_id") FROM "testcall_tasks" WHERE "tester_id" = ? AND "channel" = ?', ("u_tester", "phone")
        )
    )
    other = str(store.scalar('SELECT min("task_id") FROM "testcall_tasks" WHERE "tester_id" = ?', ("agency1",)))
    tc_console.login("tester")
    assert tc_console.get(f"/testcalls/tasks/{other}/record").status_code == 404
    path = f"/testcalls/tasks/{task}/record"
    scenario = scenarios[str(store.scalar('SELECT "scenario_id" FROM "testcall_tasks" WHERE "task_id" = ?', (task,)))]
    points = [k.id for k in scenario.key_points]
    page = tc_console.get(path, lang="en")
    assert page.status_code == 200 and "Key points" in page.text
    token = _csrf(tc_console, path)
    forged = tc_console.client.post(path, data={"csrf_token": "x", "answered": "yes"}, follow_redirects=False)
    assert forged.status_code == 403
    bad = tc_console.client.post(
        path,
        data={"csrf_token": token, "answered": "yes", "attitude": "9", "notes": "电话13812345678"},
        follow_redirects=False,
    )
    assert (
        bad.status_code == 400 and "attitude" in bad.text and "13812345678" in bad.text
    )  # the form keeps what was typed
    assert int(store.scalar('SELECT count(*) FROM "testcall_results"')) == 0
    done = tc_console.client.post(
        path,
        data={"csrf_token": token, "answered": "yes", "rings": "2", "resolved_on_spot": "on", "attitude": "5",
              "clarity": "4", "accuracy": "5", "notes": "客户电话13812345678",
              "key_points_covered": points,
              "transcript": "坐席: 您好\n客户: 订单什么时候发货"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303, re.findall(r"message error[^<]*<[^<]*", done.text)
    assert done.headers["location"] == f"/testcalls/tasks?recorded={task}"
    row = store.query('SELECT * FROM "testcall_results" WHERE "task_id" = ?', (task,)).iloc[0]
    assert (
        row["source"] == "form" and row["recorded_by"] == "u_tester" and row["key_points_covered"] == ",".join(points)
    )
    assert "13812345678" not in row["notes"]
    assert ("u_tester", "allowed", task) in tc_console.audit("testcall_record")


def test_publish_then_the_team_lead_sees_the_report(tc_console: Console, scenarios: dict[str, Scenario]) -> None:
    from csqm.testcalls import RecordInput, record_result

    store = tc_console.store
    t1 = store.query('SELECT "task_id" FROM "testcall_tasks" WHERE "team_id" = ? ORDER BY "task_id"', ("T1",))[
        "task_id"
    ]
    for task_id in t1[:3]:
        record_result(
            store, RecordInput(task_id=str(task_id), answered=True, agent_id="A1"), scenarios=scenarios, by="x"
        )
    tc_console.login("team_lead")
    assert "<td>A1</td>" not in tc_console.get("/testcalls/report", by="agent").text
    tc_console.client.cookies.clear()
    tc_console.login("test_call_manager")
    token = _csrf(tc_console, "/testcalls")
    response = tc_console.client.post(
        "/testcalls/plans/q1/publish", data={"csrf_token": token, "month": ""}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/testcalls?published=3"
    tc_console.client.cookies.clear()
    tc_console.login("team_lead")
    page = tc_console.get("/testcalls/report", by="agent")
    assert page.status_code == 200 and "<td>A1</td>" in page.text
    csv = tc_console.get("/testcalls/report", by="agent", format="csv")
    assert csv.status_code == 200 and "A1" in csv.text
