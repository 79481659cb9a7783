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
        for role in ("admin", "team_lead", "agent", "tester"):
            response = case.call(headers={"Authorization": f"Bearer {api.tokens[role]}"})
            assert response.status_code < 500, (case.path, case.query, response.text)
            if response.status_code >= 400:
                assert set(response.json()) == {"error"}

    run()


#: The console's own resources; the capability packages (test calls, improvement, real time) fuzz theirs.
OWN = ("metrics", "kpis", "teams", "agents", "conversations", "customers", "review", "catalogue")


def test_no_server_errors(api: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", api.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    own = [op for op in operations if op.path.split("/")[3] in OWN]
    assert {f"{op.method.upper()} {op.path}" for op in own} == {
        "GET /api/v1/metrics", "GET /api/v1/kpis", "GET /api/v1/teams", "GET /api/v1/agents",
        "GET /api/v1/conversations", "GET /api/v1/conversations/{interaction_id}",
        "GET /api/v1/customers/{customer_id}", "GET /api/v1/review/samples", "POST /api/v1/review/samples",
        "GET /api/v1/review/samples/{sample_id}", "POST /api/v1/review/decisions", "POST /api/v1/review/scores",
        "GET /api/v1/review/statistics", "GET /api/v1/catalogue/rules", "GET /api/v1/catalogue/scorecards",
    }  # fmt: skip
    for operation in own:
        _check(operation, api)
