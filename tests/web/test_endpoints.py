"""Every endpoint on the hand-made fixture, as an admin (scope is tested in test_authorisation)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Api

Row = tuple[float, int, int]


def _json(api: Api, path: str, **params: Any) -> Any:
    response = api.get(path, **params)
    assert response.status_code == 200, response.text
    return response.json()


def test_metrics_catalogue(api: Api) -> None:
    body = _json(api, "/api/v1/metrics")
    by_id = {m["id"]: m for m in body}
    rate = by_id["answer_rate"]
    assert rate["name"] == {"zh": "接通率", "en": "Answer rate"}
    assert (rate["dimension"], rate["unit"], rate["direction"], rate["target"]) == ("efficiency", "%", "higher", 90.0)
    assert len(rate["description"]) > 20


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {(): (83.33, 5, 6)}),
        ({"by": "team"}, {("T1",): (75.0, 3, 4), ("T2",): (100.0, 2, 2)}),
        ({"by": "agent"}, {("A1",): (66.67, 2, 3), ("A2",): (100.0, 1, 1), ("B1",): (100.0, 2, 2)}),
        ({"where": "team=T2"}, {(): (100.0, 2, 2)}),
        ({"from": "2026-01-06", "to": "2026-01-07"}, {(): (66.67, 2, 3)}),
    ],
)
def test_kpis_hand_computed(api: Api, params: dict[str, str], expected: dict[tuple[str, ...], Row]) -> None:
    body = _json(api, "/api/v1/kpis", metrics="answer_rate", **params)
    got = {tuple(r["dims"].values()): (round(r["value"], 2), r["numerator"], r["denominator"]) for r in body["rows"]}
    assert got == expected
    assert all(r["target"] == 90.0 and r["status"] in {"good", "warning", "bad"} for r in body["rows"])


def test_kpis_by_period(api: Api) -> None:
    body = _json(api, "/api/v1/kpis", metrics="answer_rate,aht", grain="day", by="team")
    days = {(r["metric"], r["period"][:10], r["dims"]["team"]) for r in body["rows"] if r["metric"] == "answer_rate"}
    assert ("answer_rate", "2026-01-05", "T1") in days
    assert all(r["period"] for r in body["rows"])


def test_teams_and_agents(api: Api) -> None:
    assert [t["team_id"] for t in _json(api, "/api/v1/teams")] == ["T1", "T2"]
    assert [a["agent_id"] for a in _json(api, "/api/v1/agents")] == ["A1", "A2", "B1"]
    assert [a["agent_id"] for a in _json(api, "/api/v1/agents", team_id="T2")] == ["B1"]
    assert _json(api, "/api/v1/agents", team_id="nope") == []


def test_conversation_list_filters(api: Api) -> None:
    assert [c["interaction_id"] for c in _json(api, "/api/v1/conversations", agent_id="A1")["items"]] == [
        "I3",
        "I2",
        "I1",
    ]
    assert _json(api, "/api/v1/conversations", team_id="T2")["total"] == 2
    dated = _json(api, "/api/v1/conversations", **{"from": "2026-01-06", "to": "2026-01-06"})
    assert {c["interaction_id"] for c in dated["items"]} == {"I2", "I3"}
    first = _json(api, "/api/v1/conversations", agent_id="A1")["items"][-1]
    assert (first["score"], first["passed"]) == (85.0, True)


def test_pagination(api: Api) -> None:
    pages = [_json(api, "/api/v1/conversations", page=p, page_size=4) for p in (1, 2, 3)]
    assert [p["total"] for p in pages] == [6, 6, 6]
    assert [len(p["items"]) for p in pages] == [4, 2, 0]
    assert (pages[1]["page"], pages[1]["page_size"]) == (2, 4)
    ids = [c["interaction_id"] for p in pages for c in p["items"]]
    assert sorted(ids) == ["I1", "I2", "I3", "I4", "I5", "I6"]
    assert ids[0] == "I6"  # newest first


def test_conversation_detail(api: Api) -> None:
    body = _json(api, "/api/v1/conversations/I1")
    assert body["conversation"]["interaction_id"] == "I1"
    assert [t["seq"] for t in body["turns"]] == [1, 2]
    assert body["turns"][1]["text"] == "我的手机号是[PHONE]"
    assert body["inspection"]["score"] == 85.0
    finding = body["findings"][1]
    assert (finding["rule_id"], finding["seq"], finding["span_start"], finding["span_end"]) == ("pii", 2, 6, 13)
    assert body["turns"][1]["text"][6:13] == "[PHONE]"


def test_conversation_without_inspection(api: Api) -> None:
    body = _json(api, "/api/v1/conversations/I5")
    assert (body["turns"], body["inspection"], body["findings"]) == ([], None, [])


def test_openapi_schema(api: Api) -> None:
    schema = api.client.get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/metrics",
        "/api/v1/kpis",
        "/api/v1/teams",
        "/api/v1/agents",
        "/api/v1/conversations",
        "/api/v1/conversations/{interaction_id}",
    } <= paths
    assert "bearerAuth" in str(schema["components"]["securitySchemes"]).replace("HTTPBearer", "bearerAuth")
