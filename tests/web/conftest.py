"""A tiny hand-made organisation: two teams, three agents, six phone calls, one inspected call.

Team T1 (agents A1, A2) has four inbound phone calls, three answered (answer rate 75 %); team T2
(agent B1) has two, both answered (100 %). Call I1 has a transcript, an inspection result and two
findings with spans. One user per role, each with an API token.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from csqm.settings import Settings
from csqm.store import Store
from csqm.web import create_app, create_user_with_token
from csqm.web.tables import ensure_tables

ROLES = ("admin", "quality_manager", "team_lead", "agent", "auditor", "test_call_manager", "tester")


def _ts(day: int, hour: int) -> datetime:
    return datetime(2026, 1, day, hour)


def seed(store: Store) -> None:
    """Load the fixture rows into ``store``."""
    store.load_arrow(
        "teams",
        pa.table(
            {
                "team_id": ["T1", "T2"],
                "centre_id": ["C1", "C1"],
                "name": ["一组", "二组"],
                "business_line": ["ToC", "ToB"],
            }
        ),
    )
    store.load_arrow(
        "agents",
        pa.table(
            {
                "agent_id": ["A1", "A2", "B1"],
                "team_id": ["T1", "T1", "T2"],
                "name": ["Ann", "Al", "Bo"],
                "role": ["general", "general", "expert"],
            }
        ),
    )
    answered = [_ts(5, 2), _ts(6, 2), None, _ts(7, 3), _ts(5, 4), _ts(8, 4)]
    store.load_arrow(
        "interactions",
        pa.table(
            {
                "interaction_id": ["I1", "I2", "I3", "I4", "I5", "I6"],
                "channel": ["phone"] * 6,
                "direction": ["inbound"] * 6,
                "agent_id": ["A1", "A1", "A1", "A2", "B1", "B1"],
                "team_id": ["T1", "T1", "T1", "T1", "T2", "T2"],
                "offered_at": [_ts(5, 2), _ts(6, 2), _ts(6, 5), _ts(7, 3), _ts(5, 4), _ts(8, 4)],
                "answered_at": pa.array(answered, pa.timestamp("us")),
                "talk_seconds": [120.0, 60.0, None, 30.0, 90.0, 45.0],
                "topic": ["billing", "billing", None, "delivery", "refund", "refund"],
            }
        ),
    )
    store.load_arrow(
        "utterances",
        pa.table(
            {
                "interaction_id": ["I1", "I1"],
                "seq": [1, 2],
                "speaker": ["agent", "customer"],
                "offset_seconds": [0.0, 4.0],
                "text": ["您好，请问有什么可以帮您", "我的手机号是[PHONE]"],
            }
        ),
    )
    store.load_arrow(
        "inspection_results",
        pa.table(
            {
                "interaction_id": ["I1"],
                "pack_version": ["p1"],
                "scope_digest": ["d1"],
                "scorecard_id": ["default"],
                "score": [85.0],
                "passed": [True],
                "fatal_count": [0],
                "finding_count": [2],
                "deduction_total": [15.0],
                "inspected_at": [_ts(9, 0)],
            }
        ),
    )
    store.load_arrow(
        "inspection_findings",
        pa.table(
            {
                "interaction_id": ["I1", "I1"],
                "finding_no": [1, 2],
                "rule_id": ["greeting", "pii"],
                "detector": ["keyword", "regex"],
                "category": ["script", "privacy"],
                "seq": [1, 2],
                "span_start": [0, 6],
                "span_end": [2, 13],
                "evidence": ["【您好】", "【[PHONE]】"],
                "severity": ["info", "non_fatal"],
                "deduction": [0.0, 15.0],
            }
        ),
    )


def add_users(store: Store) -> dict[str, str]:
    """One user per role; returns role → token."""
    ensure_tables(store)
    scope = {"team_lead": {"team_id": "T1"}, "agent": {"agent_id": "A1"}}
    return {
        role: create_user_with_token(store, username=f"u_{role}", role=role, **scope.get(role, {}))[1]  # type: ignore[arg-type]
        for role in ROLES
    }


class Api:
    """A TestClient with one token per role."""

    def __init__(self, client: TestClient, tokens: dict[str, str], store: Store) -> None:
        self.client = client
        self.tokens = tokens
        self.store = store

    def get(self, path: str, role: str | None = "admin", **params: Any) -> Any:
        """GET as ``role`` (None: no token); the response is httpx's or httpx2's, as TestClient picks."""
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return self.client.get(path, params=params or None, headers=headers)


def make_api(settings: Settings, store: Store) -> Iterator[Api]:
    seed(store)
    tokens = add_users(store)
    app = create_app(settings, store=store)
    with TestClient(app) as client:
        yield Api(client, tokens, store)


@pytest.fixture
def api(settings: Settings, duck: Store) -> Iterator[Api]:
    """The API on the embedded store with the fixture data."""
    yield from make_api(settings, duck)


@pytest.fixture
def any_api(settings: Settings, store: Store) -> Iterator[Api]:
    """The same, on DuckDB and on PostgreSQL."""
    yield from make_api(settings, store)
