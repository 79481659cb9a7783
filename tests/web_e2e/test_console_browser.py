"""End to end in headless chromium: log in, the overview with its charts, drill down to a conversation,
confirm a finding in the review workbench; screenshots in test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web_e2e.conftest import login, shot


def test_login_overview_drilldown_and_review(page: Any) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # a page asked for while logged out leads to the login page
    page.goto("/teams")
    assert "/login" in page.url
    page.fill("input[name=username]", "u_quality_manager")
    page.fill("input[name=password]", "wrong password")
    page.click("#login")
    assert "用户名或密码错误" in page.inner_text("main")
    shot(page, "01-login-refused")
    login(page, "u_quality_manager")

    # overview: tiles of the three dimensions and ECharts trend lines drawn as SVG
    page.goto("/?from=2026-01-05&to=2026-01-08")
    assert page.title().startswith("总览")
    for dim in ("efficiency", "quality", "compliance"):
        assert page.locator(f"#dim-{dim} .tile").count() >= 1
    tile = page.locator('.tile[data-metric="answer_rate"]')
    assert "83.3%" in tile.inner_text()
    assert "missed" in (tile.get_attribute("class") or "")
    page.wait_for_selector("#trend-answer_rate svg")
    shot(page, "02-overview")

    # drill down: teams → team T1 → agent A1 → conversation I1
    page.click("text=团队下钻")
    page.click('a[href="/teams/T1"]')
    page.click('a[href="/agents/A1"]')
    assert page.locator("#conversations tbody tr").count() == 3
    shot(page, "03-agent")
    page.click('a[href="/conversations/I1"]')
    mark = page.locator('mark[data-rules="pii"]')
    assert mark.inner_text() == "[PHONE]"
    assert page.locator('mark[data-rules="greeting"]').inner_text() == "您好"
    shot(page, "04-conversation")
    page.click("#customer-link")
    assert "TK1" in page.inner_text("main") and "O1" in page.inner_text("main")

    # English switch
    page.click("text=English")
    assert "Customer 360" in page.inner_text("main")
    page.click("text=中文")

    # review workbench: draw a sample, open the conversation, confirm the greeting finding
    page.click("text=复核工作台")
    page.fill("#draw-form input[name=name]", "e2e")
    page.click("#draw-form button[type=submit]")
    assert page.url.endswith("/review/samples/e2e")
    page.click('a[href="/review/samples/e2e/I1"]')
    row = page.locator('#review-findings tr[data-rule="greeting"]')
    row.locator('button[data-action="confirmed"]').click()
    page.wait_for_load_state("networkidle")
    assert "已保存" in page.inner_text("main")
    assert page.locator('#review-findings tr[data-rule="greeting"] .verdict').inner_text() == "确认"
    shot(page, "05-review")
    page.goto("/review")
    assert "100.0%" in page.locator('#rule-accuracy tr[data-rule="greeting"]').inner_text()

    # log out: the session is gone
    page.click("#logout")
    page.goto("/teams")
    assert "/login" in page.url
    assert errors == []


def test_team_lead_sees_only_their_team_in_the_browser(page: Any) -> None:
    login(page, "u_team_lead")
    page.goto("/teams")
    assert page.locator('a[href="/teams/T1"]').count() == 1
    assert page.locator('a[href="/teams/T2"]').count() == 0
    response = page.goto("/conversations/I5")
    assert response is not None and response.status == 404
    shot(page, "06-team-lead-404")


def test_explorer_chart_and_export(page: Any) -> None:
    login(page, "u_admin")
    page.goto("/explorer?metrics=answer_rate&by=team&from=2026-01-05&to=2026-01-08")
    page.wait_for_selector("#chart svg")
    assert page.locator("#kpi-table tbody tr").count() == 2
    with page.expect_download() as info:
        page.click("#export-csv")
    path = info.value.path()
    text = Path(path).read_text(encoding="utf-8-sig")
    assert "answer_rate" in text and "T1" in text
    shot(page, "07-explorer")
