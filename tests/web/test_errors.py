"""Bad parameters give a 4xx with ``{"error": "<one sentence>"}``, never a 5xx."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Api

BAD = [
    ("/api/v1/kpis", {"metrics": "no_such_metric"}, 400),
    ("/api/v1/kpis", {"metrics": "answer_rate", "by": "colour"}, 400),
    ("/api/v1/kpis", {"metrics": "answer_rate", "where": "channel=fax"}, 400),
    ("/api/v1/kpis", {"metrics": "answer_rate", "where": "drop table"}, 400),
    ("/api/v1/kpis", {"grain": "fortnight"}, 422),
    ("/api/v1/kpis", {"from": "yesterday"}, 422),
    ("/api/v1/kpis", {"metrics": "answer_rate", "from": "2026-02-01", "to": "2026-01-01"}, 400),
    ("/api/v1/conversations", {"page": 0}, 422),
    ("/api/v1/conversations", {"page_size": 1000}, 422),
    ("/api/v1/conversations", {"page": "x"}, 422),
    ("/api/v1/conversations", {"from": "2026-13-01"}, 422),
    ("/api/v1/nothing", {}, 404),
]


@pytest.mark.parametrize(("path", "params", "status"), BAD)
def test_bad_parameters(api: Api, path: str, params: dict[str, Any], status: int) -> None:
    response = api.get(path, **params)
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"]
    assert body["error"].endswith(".") and "\n" not in body["error"]


def test_wrong_method_is_json(api: Api) -> None:
    response = api.client.post("/api/v1/teams")
    assert response.status_code == 405
    assert response.json() == {"error": "That method is not allowed on this endpoint."}


def test_conversation_window_backwards(api: Api) -> None:
    response = api.get("/api/v1/conversations", **{"from": "2026-01-09", "to": "2026-01-01"})
    assert response.status_code == 400
    assert "swap" in response.json()["error"]


def test_dates_at_the_edge_of_the_calendar_are_a_400(api: Api) -> None:
    for params in ({"to": "9999-12-31"}, {"from": "0001-01-01"}, {"from": "1899-12-31", "to": "1900-01-02"}):
        for path in ("/api/v1/kpis", "/api/v1/conversations"):
            response = api.get(path, **params)
            assert response.status_code == 400, (path, params, response.text)
            assert "out of range" in response.json()["error"]
