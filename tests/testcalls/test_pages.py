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


@pytest.fixture
def tc_console_both(settings: Settings, store: Store, scenarios: dict[str, Scenario]) -> Iterator[Console]:
    """Like ``tc_console`` on both engines (DuckDB and PostgreSQL)."""
    for console in make_console(settings, store):
        save_plans(store, load_plans(PLAN_FILE, scenarios))
        schedule(store, "q1", "2026-01", seed=1, scenarios=scenarios)
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


MANAGERS = ("admin", "test_call_manager")
BAD_PLAN = """version: 1
plans:
  - id: q2
    name: 第二季度
    quarter: 2026Q2
    purpose: x
    channels: [phone]
    teams: [T1]
    business_lines: [ToC]
    monthly_quota: -3
    spot_checks_per_month: -1
    scenarios: [phone.delivery_status]
    testers:
      - {id: u_tester, kind: internal}
"""


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_new_pages_by_role(tc_console: Console, role: str, lang: str) -> None:
    tc_console.login(role)
    new = tc_console.get("/testcalls/plans/new", lang=lang)
    plan = tc_console.get("/testcalls/plans/q1", lang=lang)
    follow = tc_console.get("/testcalls/followups", lang=lang)
    for page in (new, plan, follow):
        assert "⟦" not in page.text
    assert new.status_code == (200 if role in MANAGERS else 403)
    if role in MANAGERS:
        assert ("新建计划" if lang == "zh" else "New plan") in new.text and 'enctype="multipart/form-data"' in new.text
    if role in ("team_lead", "agent"):
        assert plan.status_code == 403 and follow.status_code == 403
        return
    assert plan.status_code == 200 and "2026年第一季度拨测计划" in plan.text
    assert ("评价标准" if lang == "zh" else "Evaluation standards") in plan.text
    assert ('id="schedule"' in plan.text) == (role in MANAGERS)
    testers = set(re.findall(r"<tr><td>(u_tester|agency1|robot1)</td>", plan.text))
    expected = {"tester": {"u_tester"}, "quality_manager": set()}.get(role, {"u_tester", "agency1", "robot1"})
    assert testers == expected  # like the API: others see only themselves among the testers
    assert ("2026-01</a>" in plan.text) == (role in (*MANAGERS, "auditor"))
    assert follow.status_code == (403 if role == "quality_manager" else 200)
    assert tc_console.get("/testcalls/plans/nope").status_code == 404


def test_plan_yaml_errors_are_shown_with_lines(tc_console: Console) -> None:
    tc_console.login("test_call_manager")
    token = _csrf(tc_console, "/testcalls/plans/new")
    assert tc_console.client.post("/testcalls/plans", data={"yaml": BAD_PLAN}).status_code == 403
    bad = tc_console.client.post("/testcalls/plans", data={"csrf_token": token, "yaml": BAD_PLAN})
    assert bad.status_code == 400
    problems = re.findall(r"<li>([^<]*)</li>", bad.text.split('id="problems"')[1].split("</ul>")[0])
    assert len(problems) == 2, problems
    assert any(p.startswith("plan.yaml:10:") and "monthly_quota" in p for p in problems)
    assert any(p.startswith("plan.yaml:11:") and "spot_checks_per_month" in p for p in problems)
    assert "第二季度" in bad.text  # the text stays in the form
    empty = tc_console.client.post("/testcalls/plans", data={"csrf_token": token, "yaml": "  "})
    assert empty.status_code == 400 and "请选择文件或粘贴计划 YAML" in empty.text
    assert int(tc_console.store.scalar('SELECT count(*) FROM "testcall_plans"')) == 1
    assert tc_console.audit("testcall_plan") == []


def test_plan_upload_then_schedule_a_month(tc_console_both: Console) -> None:
    tc_console = tc_console_both
    tc_console.login("test_call_manager")
    token = _csrf(tc_console, "/testcalls/plans/new")
    good = BAD_PLAN.replace("monthly_quota: -3", "monthly_quota: 4").replace("per_month: -1", "per_month: 1")
    r = tc_console.client.post(
        "/testcalls/plans",
        data={"csrf_token": token},
        files={"file": ("q2.yaml", good.encode(), "text/yaml")},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/testcalls/plans/q2?created=1"
    assert tc_console.audit("testcall_plan") == [("u_test_call_manager", "allowed", "q2")]
    page = tc_console.get("/testcalls/plans/q2", created=1)
    assert "已保存 1 个计划" in page.text and "第二季度" in page.text
    path = "/testcalls/plans/q2/schedule"
    assert tc_console.client.post(path, data={"month": "2026-04"}).status_code == 403
    bad = tc_console.client.post(path, data={"csrf_token": token, "month": "2026-13"})
    assert bad.status_code == 400 and "2026-13" in bad.text
    r = tc_console.client.post(
        path, data={"csrf_token": token, "month": "2026-04", "seed": "3"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/testcalls/tasks?plan_id=q2&month=2026-04&scheduled=5"
    tasks = tc_console.get("/testcalls/tasks", plan_id="q2", month="2026-04", scheduled=5)
    assert "已为 2026-04 排期 5 个任务" in tasks.text
    assert set(re.findall(r"q2-2026-04-[QS]\d{4}", tasks.text)) == set(
        tc_console.store.query('SELECT "task_id" FROM "testcall_tasks" WHERE "plan_id" = ?', ("q2",))["task_id"]
    )
    assert int(tc_console.store.scalar('SELECT count(*) FROM "testcall_tasks" WHERE "plan_id" = ?', ("q2",))) == 5
    again = tc_console.client.post(path, data={"csrf_token": token, "month": "2026-04"})
    assert again.status_code == 400 and "already scheduled" in again.text
    redo = tc_console.client.post(
        path, data={"csrf_token": token, "month": "2026-04", "seed": "4", "replace": "on"}, follow_redirects=False
    )
    assert redo.status_code == 303
    assert tc_console.audit("testcall_schedule") == [
        ("u_test_call_manager", "allowed", "q2 2026-04"),
        ("u_test_call_manager", "allowed", "q2 2026-04"),
    ]


def test_tester_and_auditor_cannot_schedule_or_upload(tc_console: Console) -> None:
    for role in ("tester", "auditor", "quality_manager"):
        tc_console.client.cookies.clear()
        tc_console.login(role)
        token = _csrf(tc_console, "/testcalls")
        r = tc_console.client.post("/testcalls/plans/q1/schedule", data={"csrf_token": token, "month": "2026-02"})
        assert r.status_code == 403, role
        r = tc_console.client.post("/testcalls/plans", data={"csrf_token": token, "yaml": BAD_PLAN})
        assert r.status_code == 403, role
    assert int(tc_console.store.scalar('SELECT count(*) FROM "testcall_tasks" WHERE "month" = ?', ("2026-02",))) == 0


def test_followups_list_and_close(tc_console: Console, scenarios: dict[str, Scenario]) -> None:
    from datetime import datetime

    from csqm.testcalls import RecordInput, record_result

    store = tc_console.store
    mine, other = (
        str(store.scalar('SELECT min("task_id") FROM "testcall_tasks" WHERE "tester_id" = ?', (who,)))
        for who in ("u_tester", "agency1")
    )
    for task_id in (mine, other):
        record_result(
            store,
            RecordInput(task_id=task_id, answered=True, agent_id="A1", follow_up_promised=True,
                        follow_up_deadline=datetime(2026, 1, 20, 18, 0), executed_at=datetime(2026, 1, 10, 10, 0)),
            scenarios=scenarios, by="x",
        )  # fmt: skip
    tc_console.login("tester")
    page = tc_console.get("/testcalls/followups")
    assert page.status_code == 200 and mine in page.text and other not in page.text and "已逾期" in page.text
    token = _csrf(tc_console, "/testcalls/followups")
    close = f"/testcalls/followups/{mine}/close"
    assert tc_console.client.post(close, data={"resolved_at": "2026-01-19T09:30"}).status_code == 403
    assert tc_console.client.post(f"/testcalls/followups/{other}/close", data={"csrf_token": token}).status_code == 404
    bad = tc_console.client.post(close, data={"csrf_token": token, "resolved_at": "yesterday"})
    assert bad.status_code == 400 and "resolved_at" in bad.text
    r = tc_console.client.post(
        close, data={"csrf_token": token, "resolved_at": "2026-01-19T09:30"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == f"/testcalls/followups?closed={mine}"
    resolved = store.scalar('SELECT "follow_up_resolved_at" FROM "testcall_results" WHERE "task_id" = ?', (mine,))
    assert str(resolved)[:16] == "2026-01-19 01:30"  # 09:30 Asia/Shanghai in UTC
    assert tc_console.audit("testcall_followup_close") == [("u_tester", "allowed", mine)]
    after = tc_console.get("/testcalls/followups", closed=mine)
    assert mine not in after.text.split('id="followups"')[1] and "已结案" in after.text
    assert mine in tc_console.get("/testcalls/followups", all=1, lang="en").text
    twice = tc_console.client.post(close, data={"csrf_token": token})
    assert twice.status_code == 400 and "already closed" in twice.text


def test_plan_upload_that_is_not_text(tc_console: Console) -> None:
    tc_console.login("admin")
    token = _csrf(tc_console, "/testcalls/plans/new")
    r = tc_console.client.post(
        "/testcalls/plans", data={"csrf_token": token}, files={"file": ("q.yaml", b"\xff\xfe\x00bad", "text/yaml")}
    )
    assert r.status_code == 400 and "q.yaml: the file is not UTF-8 text." in r.text
    assert int(tc_console.store.scalar('SELECT count(*) FROM "testcall_plans"')) == 1


def test_manager_closes_a_follow_up_now_and_auditor_cannot(tc_console: Console, scenarios: dict[str, Scenario]) -> None:
    from datetime import datetime

    from csqm.testcalls import RecordInput, record_result

    store = tc_console.store
    task = str(store.scalar('SELECT min("task_id") FROM "testcall_tasks" WHERE "tester_id" = ?', ("agency1",)))
    record_result(
        store,
        RecordInput(task_id=task, answered=True, agent_id="A1", follow_up_promised=True,
                    follow_up_deadline=datetime(2099, 1, 1), executed_at=datetime(2026, 1, 10, 10, 0)),
        scenarios=scenarios, by="x",
    )  # fmt: skip
    tc_console.login("auditor")
    page = tc_console.get("/testcalls/followups", lang="en")
    assert page.status_code == 200 and task in page.text and "/close" not in page.text and "Open" in page.text
    token = _csrf(tc_console, "/testcalls/followups")
    assert tc_console.client.post(f"/testcalls/followups/{task}/close", data={"csrf_token": token}).status_code == 403
    tc_console.client.cookies.clear()
    tc_console.login("test_call_manager")
    token = _csrf(tc_console, "/testcalls/followups")
    r = tc_console.client.post(f"/testcalls/followups/{task}/close", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert store.scalar('SELECT "follow_up_resolved_at" FROM "testcall_results" WHERE "task_id" = ?', (task,))
    assert tc_console.audit("testcall_followup_close") == [("u_test_call_manager", "allowed", task)]
