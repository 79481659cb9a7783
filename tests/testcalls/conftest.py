"""Shared fixtures: the scenario library, the test plan (tests/testcalls/plan.yaml) and a stored schedule."""

from __future__ import annotations

from pathlib import Path

import pytest

from csqm.store import Store
from csqm.testcalls import Plan, Scenario, load_plans, load_scenarios, save_plans, schedule

HERE = Path(__file__).parent
PLAN_FILE = HERE / "plan.yaml"


@pytest.fixture(scope="session")
def scenarios() -> dict[str, Scenario]:
    return load_scenarios()


@pytest.fixture(scope="session")
def plan(scenarios: dict[str, Scenario]) -> Plan:
    return load_plans(PLAN_FILE, scenarios)[0]


@pytest.fixture
def scheduled(store: Store, plan: Plan, scenarios: dict[str, Scenario]) -> Store:
    """``store`` with the plan saved and January 2026 scheduled (seed 1)."""
    save_plans(store, [plan])
    schedule(store, plan.id, "2026-01", seed=1, scenarios=scenarios)
    return store
