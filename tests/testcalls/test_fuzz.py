"""Schemathesis over the /api/v1/testcalls endpoints: no generated request gets a 5xx, every error is JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from csqm.settings import Settings
from csqm.store import Store
from tests.web.conftest import Api, make_api

schemathesis = pytest.importorskip("schemathesis")


@pytest.fixture
def api(settings: Settings, duck: Store) -> Iterator[Api]:
    yield from make_api(settings, duck)


def _check(operation: Any, api: Api) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: Any) -> None:
        for role in ("test_call_manager", "tester", "agent"):
            response = case.call(headers={"Authorization": f"Bearer {api.tokens[role]}"})
            assert response.status_code < 500, (case.path, case.query, case.body, response.text)
            if response.status_code >= 400:
                assert set(response.json()) == {"error"}

    run()


def test_no_server_errors(api: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", api.client.app)
    operations = [r.ok() for r in schema.get_all_operations()]
    mine = [o for o in operations if o.path.startswith("/api/v1/testcalls")]
    assert len(mine) == 15
    for operation in mine:
        _check(operation, api)
