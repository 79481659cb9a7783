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


# --- the console (sessions, pages) -------------------------------------------------------------

PASSWORD = "correct horse battery"


def seed_customers(store: Store) -> None:
    """Customer K1 served by team T1 (I1) and team T2 (I5) across channels; K2 served by T2 only (I6)."""
    store.execute('UPDATE "interactions" SET "customer_id" = ? WHERE "interaction_id" IN (?, ?)', ("K1", "I1", "I5"))
    store.execute('UPDATE "interactions" SET "customer_id" = ? WHERE "interaction_id" = ?', ("K2", "I6"))
    store.load_arrow(
        "customers",
        pa.table({"customer_id": ["K1", "K2"], "segment": ["vip", "mass"], "display_name": ["王**", "李**"]}),
    )
    store.load_arrow(
        "tickets",
        pa.table(
            {
                "ticket_id": ["TK1", "TK2"],
                "interaction_id": ["I1", "I5"],
                "customer_id": ["K1", "K1"],
                "agent_id": ["A1", "B1"],
                "team_id": ["T1", "T2"],
                "created_at": [_ts(5, 3), _ts(5, 5)],
            }
        ),
    )
    store.load_arrow(
        "surveys",
        pa.table(
            {
                "survey_id": ["S1", "S2"],
                "interaction_id": ["I1", "I5"],
                "customer_id": ["K1", "K1"],
                "sent_at": [_ts(5, 3), _ts(5, 5)],
                "csat": [5.0, 2.0],
            }
        ),
    )
    store.load_arrow(
        "complaints",
        pa.table(
            {
                "complaint_id": ["CP1"],
                "customer_id": ["K1"],
                "interaction_id": ["I5"],
                "created_at": [_ts(5, 6)],
                "description": ["T2 的投诉"],
            }
        ),
    )
    store.load_arrow(
        "orders",
        pa.table({"order_id": ["O1"], "customer_id": ["K1"], "ordered_at": [_ts(4, 1)], "amount": [99.5]}),
    )


def set_passwords(store: Store) -> None:
    """Give every fixture user (``u_<role>``) the password :data:`PASSWORD`."""
    from argon2 import PasswordHasher

    hashed = PasswordHasher().hash(PASSWORD)
    store.execute('UPDATE "web_users" SET "password_hash" = ?', (hashed,))


class Console:
    """A browser-like client of the console: cookies kept, CSRF tokens read from the pages."""

    def __init__(self, client: TestClient, store: Store, tokens: dict[str, str]) -> None:
        self.client = client
        self.store = store
        self.tokens = tokens

    def api(self, path: str, role: str, **params: Any) -> Any:
        """GET an API endpoint with ``role``'s bearer token."""
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        return self.client.get(path, params=params or None, headers=headers)

    def login(self, role: str, password: str = PASSWORD) -> Any:
        self.client.get("/login")
        token = self.client.cookies.get("csqm_login_csrf")
        return self.client.post(
            "/login",
            data={"username": f"u_{role}", "password": password, "csrf_token": token, "next": "/"},
            follow_redirects=False,
        )

    def csrf(self) -> str:
        """The session's CSRF token, as a page carries it."""
        import re

        page = self.client.get("/teams").text
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found, "the page has no CSRF field"
        return found.group(1)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params or None, follow_redirects=False)

    def audit(self, action: str) -> list[tuple[str | None, str, str | None]]:
        frame = self.store.query(
            'SELECT "username", "outcome", "target" FROM "web_audit" WHERE "action" = ? ORDER BY "at"', (action,)
        )
        return [(r.username, r.outcome, r.target) for r in frame.itertuples()]


def make_console(settings: Settings, store: Store) -> Iterator[Console]:
    seed(store)
    seed_customers(store)
    tokens = add_users(store)
    set_passwords(store)
    app = create_app(settings, store=store)
    with TestClient(app) as client:
        yield Console(client, store, tokens)


@pytest.fixture
def console(settings: Settings, duck: Store) -> Iterator[Console]:
    """The console on the embedded store with the fixture data; every user's password is PASSWORD."""
    yield from make_console(settings, duck)


@pytest.fixture
def any_console(settings: Settings, store: Store) -> Iterator[Console]:
    """The same, on DuckDB and on PostgreSQL."""
    yield from make_console(settings, store)
