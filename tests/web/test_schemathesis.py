"""Schemathesis against the OpenAPI schema: no generated request gets a 5xx, every error is JSON."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.web.conftest import Api

schemathesis = pytest.importorskip("schemathesis")


def _check(operation: Any, api: Api) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: Any) -> None:
        for role in ("admin", "team_lead", "agent"):
            response = case.call(headers={"Authorization": f"Bearer {api.tokens[role]}"})
            assert response.status_code < 500, (case.path, case.query, response.text)
            if response.status_code >= 400:
                assert set(response.json()) == {"error"}

    run()


def test_no_server_errors(api: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", api.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6
    for operation in operations:
        _check(operation, api)
