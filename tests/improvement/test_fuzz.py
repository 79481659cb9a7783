"""Schemathesis over the /api/v1/improvement endpoints: no generated request gets a 5xx, every error is JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from csqm.settings import Settings
from csqm.store import Store
from csqm.web import create_app
from tests.improvement.conftest import populate
from tests.web.conftest import add_users

schemathesis = pytest.importorskip("schemathesis")
pytestmark = pytest.mark.slow


@pytest.fixture
def client(settings: Settings, duck: Store) -> Iterator[tuple[TestClient, dict[str, str]]]:
    populate(duck)
    tokens = add_users(duck)
    with TestClient(create_app(settings, store=duck)) as c:
        yield c, tokens


def _check(operation: Any, tokens: dict[str, str]) -> None:
    slow = operation.path.endswith("/detect")  # detection computes every KPI by team and agent: seconds

    @given(case=operation.as_strategy())
    @settings(max_examples=3 if slow else 12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: Any) -> None:
        for role in ("quality_manager", "team_lead", "agent"):
            response = case.call(headers={"Authorization": f"Bearer {tokens[role]}"}, timeout=300)
            assert response.status_code < 500, (case.path, case.query, case.body, response.text)
            if response.status_code >= 400:
                assert set(response.json()) == {"error"}

    run()


def test_no_server_errors(client: tuple[TestClient, dict[str, str]]) -> None:
    app_client, tokens = client
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app_client.app)
    operations = [r.ok() for r in schema.get_all_operations()]
    mine = [o for o in operations if o.path.startswith("/api/v1/improvement")]
    assert len(mine) == 15
    for operation in mine:
        _check(operation, tokens)
