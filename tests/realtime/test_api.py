"""The HTTP and WebSocket ingress, alert log, acknowledgement, SSE stream and live queue KPIs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from csqm.realtime.tables import REALTIME_PENDING, ensure_tables
from csqm.settings import Settings
from csqm.store import Store
from tests.realtime.conftest import ended, started, turn
from tests.web.conftest import Api, make_api


@pytest.fixture
def rt(settings: Settings, store: Store) -> Iterator[Api]:
    yield from make_api(settings, store)


def hdr(api: Api, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.tokens[role]}"}


def post(api: Api, events: Any, role: str = "admin") -> Any:
    return api.client.post("/api/v1/events", json=events, headers=hdr(api, role))


def test_events_need_a_token_and_a_sender_role(rt: Api) -> None:
    assert rt.client.post("/api/v1/events", json=[]).status_code == 401
    bad = rt.client.post("/api/v1/events", json=[], headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and "unknown or revoked" in bad.json()["error"]
    for role in ("team_lead", "agent", "auditor", "tester"):
        r = post(rt, [started("x")], role)
        assert r.status_code == 403 and "roles admin, quality_manager" in r.json()["error"]
    ensure_tables(rt.store)
    assert rt.store.scalar('SELECT count(*) FROM "realtime_events"') == 0
    assert post(rt, [started("x")], "quality_manager").json()["accepted"] == 1


def test_batch_with_bad_events(rt: Api) -> None:
    r = post(
        rt, {"events": [started("c1", team_id="T1"), {"type": "utterance"}, turn("c1", 1, "customer", "我要投诉")]}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["accepted"] == 2 and [e["index"] for e in body["errors"]] == [1]
    assert "Event 1 (utterance)" in body["errors"][0]["error"]
    assert [a["kind"] for a in body["alerts"]] == ["threat_words"]
    assert post(rt, {"events": "nope"}).status_code == 422
    assert post(rt, [started("c1", team_id="T1")]).json()["duplicates"] == 1


def test_alert_log_scope_and_acknowledgement(rt: Api) -> None:
    post(
        rt,
        [
            started("c1", team_id="T1", agent_id="A1"),
            started("c2", team_id="T2", agent_id="B1"),
            turn("c1", 1, "customer", "我要投诉"),
            turn("c2", 1, "customer", "找律师"),
        ],
    )

    def subjects(role: str) -> list[str]:
        r = rt.client.get("/api/v1/alerts", headers=hdr(rt, role))
        assert r.status_code == 200
        return sorted(a["subject_id"] for a in r.json()["alerts"])

    assert subjects("admin") == ["c1", "c2"] and subjects("auditor") == ["c1", "c2"]
    assert subjects("team_lead") == ["c1"] and subjects("agent") == ["c1"]
    assert rt.client.get("/api/v1/alerts", headers=hdr(rt, "tester")).status_code == 403
    c2 = next(
        a for a in rt.client.get("/api/v1/alerts", headers=hdr(rt, "admin")).json()["alerts"] if a["subject_id"] == "c2"
    )
    assert rt.client.post(f"/api/v1/alerts/{c2['alert_id']}/ack", headers=hdr(rt, "team_lead")).status_code == 404
    assert rt.client.post(f"/api/v1/alerts/{c2['alert_id']}/ack", headers=hdr(rt, "auditor")).status_code == 403
    done = rt.client.post(f"/api/v1/alerts/{c2['alert_id']}/ack", headers=hdr(rt, "quality_manager")).json()
    assert done["acknowledged_by"] == "u_quality_manager" and done["acknowledged_at"]
    again = rt.client.post(f"/api/v1/alerts/{c2['alert_id']}/ack", headers=hdr(rt, "admin")).json()
    assert again["acknowledged_by"] == "u_quality_manager"  # the first acknowledgement is kept
    open_ = rt.client.get("/api/v1/alerts", params={"unacknowledged": True}, headers=hdr(rt, "admin")).json()
    assert [a["subject_id"] for a in open_["alerts"]] == ["c1"]
    audit = rt.store.scalar('SELECT count(*) FROM "web_audit" WHERE "action" = \'alert_ack\'')
    assert audit == 2


def test_sse_stream_sends_alerts_in_scope(rt: Api) -> None:
    post(
        rt,
        [
            started("c1", team_id="T1"),
            started("c2", team_id="T2"),
            turn("c1", 1, "customer", "我要投诉"),
            turn("c2", 1, "customer", "找律师"),
        ],
    )
    r = rt.client.get("/api/v1/alerts/stream", params={"token": rt.tokens["team_lead"], "once": True})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert r.text.count("event: alert") == 1 and '"subject_id": "c1"' in r.text
    r = rt.client.get("/api/v1/alerts/stream", params={"once": True}, headers=hdr(rt, "admin"))
    assert r.text.count("event: alert") == 2
    assert rt.client.get("/api/v1/alerts/stream", params={"once": True}).status_code == 401


def test_websocket_stream_keeps_going_after_bad_messages(rt: Api) -> None:
    with rt.client.websocket_connect(f"/api/v1/events/ws?token={rt.tokens['admin']}") as ws:
        ws.send_text("{not json")
        assert "not JSON" in ws.receive_json()["error"]
        ws.send_json(started("w1"))
        assert ws.receive_json()["accepted"] == 1
        ws.send_json([{"type": "utterance", "event_id": "bad"}, turn("w1", 1, "customer", "曝光你们")])
        reply = ws.receive_json()
        assert reply["accepted"] == 1 and reply["errors"][0]["index"] == 0
        assert [a["kind"] for a in reply["alerts"]] == ["threat_words"]
        ws.send_json(ended("w1"))
        assert ws.receive_json()["inspected"] == ["w1"]
    assert rt.store.scalar('SELECT count(*) FROM "inspection_results" WHERE "interaction_id" = \'w1\'') == 1


def test_websocket_refuses_bad_tokens(rt: Api) -> None:
    from starlette.websockets import WebSocketDisconnect

    for query in ("", "?token=nope", f"?token={rt.tokens['agent']}"):
        with pytest.raises(WebSocketDisconnect), rt.client.websocket_connect(f"/api/v1/events/ws{query}") as ws:
            ws.receive_json()


def test_live_queues_and_board_page(rt: Api, settings: Settings) -> None:
    from csqm.realtime.events import utcnow
    from tests.realtime.conftest import iso

    now = utcnow()
    post(
        rt,
        [
            {
                "type": "queue_offered",
                "event_id": "q1o",
                "contact_id": "k1",
                "queue": "vip",
                "team_id": "T1",
                "at": iso(now),
            },
            {"type": "queue_answered", "event_id": "q1a", "contact_id": "k1", "at": iso(now)},
        ],
    )
    body = rt.client.get("/api/v1/queues/live", headers=hdr(rt, "admin")).json()
    assert {(k["level"], k["key"], k["service_level"]) for k in body["kpis"]} == {
        ("queue", "vip", 100.0),
        ("team", "T1", 100.0),
    }
    lead = rt.client.get("/api/v1/queues/live", headers=hdr(rt, "team_lead")).json()
    assert [(k["level"], k["key"]) for k in lead["kpis"]] == [("team", "T1")]


def runtime_of(rt: Api) -> Any:
    return rt.client.app.state.csqm_realtime  # type: ignore[attr-defined]


def test_realtime_status_for_operators(rt: Api) -> None:
    assert rt.client.get("/api/v1/realtime/status", headers=hdr(rt, "agent")).status_code == 403
    assert rt.client.get("/api/v1/realtime/status").status_code == 401
    events = [started("s1"), turn("s1", 1, "customer", "你好"), ended("s1")]
    assert post(rt, events).json()["accepted"] == 3
    assert post(rt, [turn("s1", 1, "customer", "你好")]).json()["duplicates"] == 1
    status = rt.client.get("/api/v1/realtime/status", headers=hdr(rt, "quality_manager")).json()
    ingress = status["ingress"]
    assert (ingress["batches"], ingress["requests"], ingress["events"], ingress["recent_batches"]) == (2, 2, 4, 2)
    assert 0 < ingress["batch_ms_p50"] <= ingress["batch_ms_p99"]
    # the two batches' times, summed (s, rounded to the ms)
    assert abs(ingress["busy_seconds"] - sum(runtime_of(rt).ingress.recent_ms) / 1000) <= 0.001
    # this app inspects inline (its background step is not running): nothing waits
    assert status["inspection"] == {
        "queued": 0,
        "oldest_queued_seconds": None,
        "in_background": False,
        "gave_way": 0,
        "gave_way_seconds": 0.0,
    }
    assert status["background"]["running"] is False and status["background"]["steps"] == 0
    assert status["board"]["last"] == 0  # 你好 raises nothing
    runtime = runtime_of(rt)
    queued_at = runtime.clock() - timedelta(seconds=90)
    rt.store.execute(f'INSERT INTO "{REALTIME_PENDING.name}" VALUES (?, ?)', ["s1", queued_at])
    later = rt.client.get("/api/v1/realtime/status", headers=hdr(rt, "admin")).json()["inspection"]
    assert later["queued"] == 1 and 90 <= later["oldest_queued_seconds"] < 150


def test_ingress_routes_are_tried_first(rt: Api) -> None:
    """The router tries the included routers in order, and the ingress is the hot path: its routes
    come first (behind all the others, finding ``POST /api/v1/events`` took 8× as long)."""
    paths = list(rt.client.get("/api/v1/openapi.json").json()["paths"])
    assert paths[0] == "/api/v1/events"
    realtime = {"/api/v1/events", "/api/v1/alerts", "/api/v1/alerts/{alert_id}/ack", "/api/v1/queues/live"}
    assert realtime <= set(paths[:6])
    # and they still answer, as do the routers behind them
    assert post(rt, [started("r1")]).json()["accepted"] == 1
    assert rt.client.get("/api/v1/teams", headers=hdr(rt, "admin")).status_code == 200
