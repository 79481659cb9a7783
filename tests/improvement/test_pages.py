"""Console pages of the loop: findings and actions list, action detail with log and verification, the
progress and verify forms (CSRF), for every role and in both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from csqm.settings import Settings
from csqm.store import Store
from csqm.web import create_app
from csqm.web.i18n import table
from tests.improvement.conftest import populate
from tests.web.conftest import ROLES, Console, add_users, set_passwords

PAGE_ROLES = ("admin", "quality_manager", "auditor", "test_call_manager", "team_lead")


@pytest.fixture
def console(settings: Settings, duck: Store) -> Iterator[Console]:
    populate(duck)
    tokens = add_users(duck)
    set_passwords(duck)
    with TestClient(create_app(settings, store=duck)) as client:
        yield Console(client, duck, tokens)


@pytest.fixture
def console_both(settings: Settings, store: Store) -> Iterator[Console]:
    """Like ``console`` on both engines (DuckDB and PostgreSQL)."""
    populate(store)
    tokens = add_users(store)
    set_passwords(store)
    with TestClient(create_app(settings, store=store)) as client:
        yield Console(client, store, tokens)


def _csrf(console: Console, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', console.get(path).text)
    assert found
    return found.group(1)


def test_translations_have_the_same_keys() -> None:
    zh = {k for k in table("zh") if k.startswith("improvement.")}
    en = {k for k in table("en") if k.startswith("improvement.")}
    assert zh == en and len(zh) > 60


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(console: Console, role: str) -> None:
    assert console.login(role).status_code == 303
    index = console.get("/improvement")
    detail = console.get("/improvement/actions/A00001")
    if role not in PAGE_ROLES:
        assert index.status_code == 403 and detail.status_code == 403
        return
    assert index.status_code == 200 and "⟦" not in index.text and "改进闭环" in index.text
    actions = set(re.findall(r"/improvement/actions/(A\d{5})", index.text))
    training = set(re.findall(r"/improvement/actions/(T\d{5})", index.text))
    findings = set(re.findall(r"/improvement/findings/(F\d{5})\"", index.text))
    if role == "team_lead":
        assert (actions, training, findings) == ({"A00001"}, {"T00001"}, {"F00001", "F00002"})
        assert console.get("/improvement/actions/A00002").status_code == 404
    else:
        assert (actions, training, findings) == (
            {"A00001", "A00002"},
            {"T00001", "T00002"},
            {"F00001", "F00002", "F00003"},
        )
    assert "已逾期" in index.text  # A00001 was due 2026-02-20
    assert detail.status_code == 200 and "⟦" not in detail.text and "Staff T1 peaks" in detail.text
    assert ('id="progress"' in detail.text) == (role in ("admin", "quality_manager", "team_lead"))
    assert ('id="verify"' in detail.text) == (role in ("admin", "quality_manager"))


def test_team_lead_adds_progress(console: Console) -> None:
    console.login("team_lead")
    token = _csrf(console, "/improvement/actions/A00001")
    r = console.client.post(
        "/improvement/actions/A00001/progress",
        data={"note": "排班已调整，电话13812345678", "status": "in_progress", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?done=progress")
    page = console.get("/improvement/actions/A00001?done=progress").text
    assert "进展已保存" in page and "排班已调整，电话138****5678" in page and "13812345678" not in page
    assert "进行中" in page
    no_token = console.client.post("/improvement/actions/A00001/progress", data={"note": "x"}, follow_redirects=False)
    assert no_token.status_code == 403
    other = console.client.post(
        "/improvement/actions/A00002/progress", data={"note": "x", "csrf_token": token}, follow_redirects=False
    )
    assert other.status_code == 404
    assert console.audit("improvement_action_update") == [("u_team_lead", "allowed", "A00001")]


def test_manager_verifies_and_sees_the_result(console: Console) -> None:
    console.login("quality_manager")
    token = _csrf(console, "/improvement/actions/A00001")
    r = console.client.post("/improvement/actions/A00001/verify", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    zh = console.get("/improvement/actions/A00001").text
    assert "已改善" in zh and "两比例 z 检验" in zh and "60.0%" in zh and "90.0%" in zh
    en = console.get("/improvement/actions/A00001", lang="en").text
    assert "Improved" in en and "Two-proportion z-test" in en and "Difference-in-differences" in en


def test_auditor_cannot_post(console: Console) -> None:
    console.login("auditor")
    token = _csrf(console, "/improvement/actions/A00001")
    for path in ("/improvement/actions/A00001/progress", "/improvement/actions/A00001/verify"):
        r = console.client.post(path, data={"note": "x", "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 403, path


MANAGERS = ("admin", "quality_manager")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_new_pages_by_role(console: Console, role: str, lang: str) -> None:
    console.login(role)
    finding = console.get("/improvement/findings/F00001", lang=lang)
    new_action = console.get("/improvement/actions/new", finding_id="F00003", lang=lang)
    new_training = console.get("/improvement/training/new", lang=lang)
    needs = console.get("/improvement/training/needs", lang=lang)
    for page in (finding, new_action, new_training, needs):
        assert "⟦" not in page.text
    if role in PAGE_ROLES:
        assert finding.status_code == 200 and 'id="evidence"' in finding.text
        assert ('id="create"' in finding.text) == (role in MANAGERS)
    else:
        assert finding.status_code == 403
    expected = 200 if role in MANAGERS else 403
    assert (new_action.status_code, new_training.status_code) == (expected, expected)
    if role in MANAGERS:
        assert 'name="finding_id" value="F00003"' in new_action.text and "Hold music complaints" in new_action.text
        assert ("登记培训" if lang == "zh" else "Record a training") in new_training.text
    assert needs.status_code == (200 if role in (*PAGE_ROLES, "agent") else 403)
    if needs.status_code == 200:
        assert ("培训需求" if lang == "zh" else "Training needs") in needs.text
    if role == "team_lead":
        assert console.get("/improvement/findings/F00003").status_code == 404  # team T2


def _needs(console: Console, **params: str) -> list[tuple[str, str]]:
    """(team, agent) of every row of the needs table."""
    page = console.get("/improvement/training/needs", **params)
    assert page.status_code == 200
    body = page.text.split('id="needs"')[1].split("</table>")[0]
    return re.findall(r"<tr>\s*<td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>", body)


def test_training_needs_are_scoped(console: Console) -> None:
    # populate: rule r.forbidden hit in 18 of A1's 25 and 20 of team T1's 50 inspected conversations
    console.login("admin")
    assert _needs(console) == [("T1", "A1"), ("T1", "–")]
    assert "18 / 25" in console.get("/improvement/training/needs").text
    assert _needs(console, team_id="T2") == []
    console.client.cookies.clear()
    console.login("team_lead")
    assert _needs(console) == [("T1", "A1"), ("T1", "–")]
    assert _needs(console, team_id="T2") == []  # another team: nothing, not an error
    console.client.cookies.clear()
    console.login("agent")
    assert _needs(console) == [("T1", "A1")]
    assert _needs(console, agent_id="B1") == []


def test_create_action_from_finding(console_both: Console) -> None:
    console = console_both
    console.login("quality_manager")
    token = _csrf(console, "/improvement/findings/F00003")
    data = {
        "csrf_token": token, "finding_id": "F00003", "title": "Change hold music",
        "root_cause": "客户电话13812345678投诉",
        "department": "运营部", "owner": "王经理", "due_on": "2099-03-01", "effective_on": "2026-02-01",
    }  # fmt: skip
    assert console.client.post("/improvement/actions", data={**data, "csrf_token": "x"}).status_code == 403
    r = console.client.post("/improvement/actions", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/improvement/actions/A00003?done=created"
    row = console.store.query('SELECT * FROM "improvement_actions" WHERE "action_id" = ?', ("A00003",)).iloc[0]
    assert (row["finding_id"], row["owner"], row["department"], row["scope_kind"], row["scope_value"]) == (
        "F00003", "王经理", "运营部", "team", "T2",
    )  # fmt: skip
    assert "13812345678" not in str(row["root_cause"])
    assert console.audit("improvement_action_create") == [("u_quality_manager", "allowed", "A00003")]
    status = console.store.scalar('SELECT "status" FROM "improvement_findings" WHERE "finding_id" = ?', ("F00003",))
    assert status == "actioned"
    page = console.get("/improvement/actions/A00003?done=created").text
    assert "已创建" in page and "Change hold music" in page


def test_free_action_and_bad_input(console: Console) -> None:
    console.login("admin")
    token = _csrf(console, "/improvement/actions/new")
    bad = console.client.post(
        "/improvement/actions",
        data={"csrf_token": token, "title": "Faster pickup", "metric": "no_such_metric", "owner": "Li"},
        follow_redirects=False,
    )
    assert bad.status_code == 400 and "no_such_metric" in bad.text and 'value="Faster pickup"' in bad.text
    bad_days = console.client.post(
        "/improvement/actions", data={"csrf_token": token, "title": "x", "window_days": "abc"}, follow_redirects=False
    )
    assert bad_days.status_code == 400 and "window_days" in bad_days.text
    unknown = console.client.post(
        "/improvement/actions", data={"csrf_token": token, "title": "x", "finding_id": "F09999"}, follow_redirects=False
    )
    assert unknown.status_code == 400 and "F09999" in unknown.text
    assert int(console.store.scalar('SELECT count(*) FROM "improvement_actions"')) == 4
    good = console.client.post(
        "/improvement/actions",
        data={"csrf_token": token, "title": "Faster pickup", "metric": "answer_rate", "scope_kind": "team",
              "scope_value": "T2", "owner": "Li", "department": "客服部", "due_on": "2099-01-31",
              "effective_on": "2026-02-01", "root_cause": "排班不足", "window_days": "14"},
        follow_redirects=False,
    )  # fmt: skip
    assert good.status_code == 303
    row = console.store.query('SELECT * FROM "improvement_actions" WHERE "action_id" = ?', ("A00003",)).iloc[0]
    assert row["finding_id"] is None and row["metric"] == "answer_rate" and int(row["window_days"]) == 14


def test_team_lead_cannot_create(console: Console) -> None:
    console.login("team_lead")
    token = _csrf(console, "/improvement/actions/A00001")
    r = console.client.post("/improvement/actions", data={"csrf_token": token, "title": "x"}, follow_redirects=False)
    assert r.status_code == 403
    r = console.client.post("/improvement/training", data={"csrf_token": token, "title": "x"}, follow_redirects=False)
    assert r.status_code == 403
    r = console.client.post(
        "/improvement/actions/A00001/edit", data={"csrf_token": token, "owner": "me"}, follow_redirects=False
    )
    assert r.status_code == 403
    assert int(console.store.scalar('SELECT count(*) FROM "improvement_actions"')) == 4


def test_record_training(console: Console) -> None:
    console.login("quality_manager")
    token = _csrf(console, "/improvement/training/new")
    r = console.client.post(
        "/improvement/training",
        data={
            "csrf_token": token,
            "title": "退款话术",
            "agent_id": "A2",
            "owner": "培训师张",
            "effective_on": "2026-02-05",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/improvement/actions/T00003?done=created"
    row = console.store.query('SELECT * FROM "improvement_actions" WHERE "action_id" = ?', ("T00003",)).iloc[0]
    assert (row["kind"], row["agent_id"], row["owner"], str(row["effective_on"])[:10]) == (
        "training", "A2", "培训师张", "2026-02-05",
    )  # fmt: skip
    assert console.audit("improvement_action_create") == [("u_quality_manager", "allowed", "T00003")]
    empty = console.client.post(
        "/improvement/training", data={"csrf_token": token, "title": ""}, follow_redirects=False
    )
    assert empty.status_code == 400 and "message error" in empty.text
    assert console.client.post("/improvement/training", data={"title": "x"}).status_code == 403


def test_manager_changes_status_owner_due(console_both: Console) -> None:
    console = console_both
    console.login("quality_manager")
    path = "/improvement/actions/A00002"
    token = _csrf(console, path)
    assert 'id="edit"' in console.get(path).text
    assert console.client.post(f"{path}/edit", data={"owner": "赵"}).status_code == 403
    r = console.client.post(
        f"{path}/edit",
        data={"csrf_token": token, "status": "in_progress", "owner": "赵主管", "due_on": "2099-02-01"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"{path}?done=edited"
    row = console.store.query('SELECT * FROM "improvement_actions" WHERE "action_id" = ?', ("A00002",)).iloc[0]
    assert (row["status"], row["owner"], str(row["due_on"])[:10]) == ("in_progress", "赵主管", "2099-02-01")
    assert console.audit("improvement_action_update") == [("u_quality_manager", "allowed", "A00002")]
    page = console.get(path, done="edited", lang="en").text
    assert "Changes saved." in page and "赵主管" in page
    same = console.client.post(
        f"{path}/edit",
        data={"csrf_token": token, "status": "in_progress", "owner": "赵主管", "due_on": "2099-02-01"},
        follow_redirects=False,
    )
    assert same.status_code == 400 and "Nothing was changed." in same.text  # the language chosen stays
    bad = console.client.post(
        f"{path}/edit", data={"csrf_token": token, "due_on": "not-a-date"}, follow_redirects=False
    )
    assert bad.status_code == 400 and "message error" in bad.text
    assert len(console.audit("improvement_action_update")) == 1
