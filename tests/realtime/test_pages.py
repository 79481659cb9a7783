"""The live board console page at ``/realtime``: session login, roles, team scope, SSE, acknowledgement."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest

from csqm.realtime.alerts import candidate, store_alerts
from csqm.realtime.tables import ensure_tables
from csqm.settings import Settings
from csqm.store import Store
from tests.web.conftest import ROLES, Console, make_console

NOW = datetime(2026, 3, 2, 9, 0, 0)


def _seed_alerts(store: Store) -> None:
    ensure_tables(store)
    alerts = [
        candidate(
            "sla_breach", "conv-T1", basis="b1", severity="critical", message="SLA T1", evidence="e1", team_id="T1"
        ),
        candidate(
            "sla_breach", "conv-T2", basis="b2", severity="warning", message="SLA T2", evidence="e2", team_id="T2"
        ),
    ]
    with store.transaction():
        store_alerts(store, alerts, now=NOW, window_seconds=600, webhook=False)


@pytest.fixture
def board(settings: Settings, duck: Store) -> Iterator[Console]:
    _seed_alerts(duck)
    yield from make_console(settings, duck)


def test_logged_out_goes_to_login(board: Console) -> None:
    for path in ("/realtime", "/realtime/kpis"):
        response = board.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), path
    assert board.get("/realtime/stream", once="true").status_code == 303


@pytest.mark.parametrize("role", ROLES)
def test_roles(board: Console, role: str) -> None:
    board.login(role)
    page = board.get("/realtime")
    if role in ("admin", "quality_manager", "team_lead"):
        assert page.status_code == 200
        assert "extends" not in page.text and "/logout" in page.text  # the console's base template
        assert "EventSource" in page.text and "/realtime/stream" in page.text
    else:
        assert page.status_code == 403
        assert board.get("/realtime/kpis").status_code == 403
        assert board.get("/realtime/stream", once="true").status_code == 403


def test_admin_sees_every_alert_in_both_languages(board: Console) -> None:
    board.login("admin")
    zh = board.get("/realtime", lang="zh").text
    assert "SLA T1" in zh and "SLA T2" in zh and "实时监控" in zh and "⟦" not in zh
    en = board.get("/realtime", lang="en").text
    assert "Live board" in en and "Acknowledge" in en and "⟦" not in en


def test_team_lead_sees_only_their_team(board: Console) -> None:
    board.login("team_lead")
    page = board.get("/realtime").text
    assert "SLA T1" in page and "SLA T2" not in page


def test_stream_is_scoped(board: Console) -> None:
    from csqm.realtime.alerts import list_alerts
    from csqm.realtime.runtime import runtime_of

    app = board.client.app
    state = app.state.csqm  # type: ignore[attr-defined]
    with state.lock:
        runtime = runtime_of(state, app.state)  # type: ignore[attr-defined]
        from csqm.web.auth import Principal

        everyone = list_alerts(state.store, principal=Principal("x", "admin", None, None), limit=10)
    runtime.board.publish(everyone)
    board.login("team_lead")
    body = board.get("/realtime/stream", once="true")
    assert body.status_code == 200 and body.headers["content-type"].startswith("text/event-stream")
    assert body.text.count("event: alert") == 1 and "SLA T1" in body.text and "SLA T2" not in body.text
    board.login("admin")
    assert board.get("/realtime/stream", once="true").text.count("event: alert") == 2


def test_ack_needs_csrf_and_scope(board: Console) -> None:
    board.login("team_lead")
    page = board.get("/realtime").text
    token = re.search(r'const csrf = "([^"]+)"', page)
    assert token
    ids = re.findall(r'data-id="([0-9a-f]+)"', page)
    assert len(ids) == 1
    assert board.client.post(f"/realtime/alerts/{ids[0]}/ack").status_code == 403  # no CSRF header
    done = board.client.post(f"/realtime/alerts/{ids[0]}/ack", headers={"X-CSRF-Token": token.group(1)})
    assert done.status_code == 200 and done.json()["acknowledged_by"] == "u_team_lead"
    assert board.audit("alert_ack") == [("u_team_lead", "allowed", ids[0])]
    other = board.store.query('SELECT "alert_id" FROM "realtime_alerts" WHERE "team_id" = ?', ("T2",))
    refused = board.client.post(
        f"/realtime/alerts/{other['alert_id'][0]}/ack", headers={"X-CSRF-Token": token.group(1)}
    )
    assert refused.status_code == 404
    assert "acknowledged by u_team_lead" in board.get("/realtime", lang="en").text


def test_kpis_json(board: Console) -> None:
    board.login("admin")
    body = board.get("/realtime/kpis").json()
    assert body["kpis"] == [] and body["as_of"].endswith("Z")
