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
    findings = set(re.findall(r"<td>(F\d{5})</td>", index.text))
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
