"""Schemathesis on the real-time operations: no generated request gets a 5xx, every error is JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings

from csqm.settings import Settings
from csqm.store import Store
from tests.web.conftest import Api, make_api

schemathesis = pytest.importorskip("schemathesis")


@pytest.fixture
def api(settings: Settings, duck: Store) -> Iterator[Api]:
    yield from make_api(settings, duck)


PATHS = ("/api/v1/events", "/api/v1/alerts", "/api/v1/alerts/{alert_id}/ack", "/api/v1/queues/live")


def test_no_server_errors_on_realtime_routes(api: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", api.client.app)
    operations = [r.ok() for r in schema.get_all_operations()]
    mine = [op for op in operations if op.path in PATHS]
    assert sorted({op.path for op in mine}) == sorted(PATHS)

    for operation in mine:

        @given(case=operation.as_strategy())
        @hsettings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: Any) -> None:
            for role in ("admin", "team_lead", "agent", "tester"):
                response = case.call(headers={"Authorization": f"Bearer {api.tokens[role]}"})
                assert response.status_code < 500, (case.path, case.body, response.text)
                if response.status_code >= 400:
                    assert set(response.json()) == {"error"}

        run()
