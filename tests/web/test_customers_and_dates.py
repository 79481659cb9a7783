"""``/api/v1/customers/{id}`` (the 360, scoped, on both engines) and reporting-zone date filters."""

from __future__ import annotations

import re
from datetime import datetime

import pyarrow as pa
import pytest

from csqm.web.conversations import local_midnight_utc
from tests.web.conftest import ROLES, Console

FULL = {
    "interactions": {"I1", "I5"},
    "tickets": {"TK1", "TK2"},
    "surveys": {"S1", "S2"},
    "complaints": {"CP1"},
    "orders": {"O1"},
}
#: role → what of customer K1 it sees (None: 404).
K1: dict[str, dict[str, set[str]] | None] = {
    **{r: FULL for r in ("admin", "quality_manager", "auditor", "test_call_manager")},
    "team_lead": {"interactions": {"I1"}, "tickets": {"TK1"}, "surveys": {"S1"}, "complaints": set(), "orders": {"O1"}},
    "agent": {"interactions": {"I1"}, "tickets": {"TK1"}, "surveys": {"S1"}, "complaints": set(), "orders": {"O1"}},
    "tester": None,
}
_KEYS = {"interactions": "interaction_id", "tickets": "ticket_id", "surveys": "survey_id",
         "complaints": "complaint_id", "orders": "order_id"}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_customer_history_matrix(console: Console, role: str) -> None:
    response = console.api("/api/v1/customers/K1", role)
    expected = K1[role]
    if expected is None:
        assert response.status_code == 404
        return
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customer"]["customer_id"] == "K1"
    assert body["customer"]["display_name"] == "王**"
    seen = {part: {row[key] for row in body[part]} for part, key in _KEYS.items()}
    assert seen == expected
    assert body["channels"] == ["phone"]


def test_customer_history_on_both_engines(any_console: Console) -> None:
    lead = any_console.api("/api/v1/customers/K1", "team_lead").json()
    assert [i["interaction_id"] for i in lead["interactions"]] == ["I1"]
    admin = any_console.api("/api/v1/customers/K1", "admin").json()
    assert [i["interaction_id"] for i in admin["interactions"]] == ["I5", "I1"]  # newest first
    assert admin["interactions"][1]["score"] == 85.0
    assert any_console.api("/api/v1/customers/K2", "team_lead").status_code == 404
    missing = any_console.api("/api/v1/customers/NOPE", "admin")
    assert missing.status_code == 404 and "NOPE" in missing.json()["error"]
    outcomes = any_console.store.query(
        'SELECT "username", "target", "outcome" FROM "web_audit" WHERE "action" = ? ORDER BY "at"', ("customer_view",)
    )
    assert [tuple(r) for r in outcomes.itertuples(index=False)] == [
        ("u_team_lead", "K1", "allowed"),
        ("u_admin", "K1", "allowed"),
        ("u_team_lead", "K2", "denied"),
        ("u_admin", "NOPE", "not_found"),
    ]


def test_local_midnight_in_utc() -> None:
    assert local_midnight_utc(datetime(2026, 1, 6).date(), "Asia/Shanghai") == datetime(2026, 1, 5, 16, 0)
    assert local_midnight_utc(datetime(2026, 1, 6).date(), "UTC") == datetime(2026, 1, 6, 0, 0)
    # a day with a DST change: New York midnight on 2026-03-08 is still 05:00 UTC (the jump is at 02:00)
    assert local_midnight_utc(datetime(2026, 3, 9).date(), "America/New_York") == datetime(2026, 3, 9, 4, 0)


def test_conversation_dates_are_reporting_zone_days(any_console: Console) -> None:
    """Asia/Shanghai is UTC+8: local 2026-01-06 is 2026-01-05 16:00 to 2026-01-06 16:00 UTC."""
    stamps = {
        "J1": datetime(2026, 1, 5, 15, 59, 59),  # local 01-05 23:59:59 → out
        "J2": datetime(2026, 1, 5, 16, 0, 0),  # local 01-06 00:00 → in
        "J3": datetime(2026, 1, 6, 15, 59, 59),  # local 01-06 23:59:59 → in
        "J4": datetime(2026, 1, 6, 16, 0, 0),  # local 01-07 00:00 → out
    }
    any_console.store.load_arrow(
        "interactions",
        pa.table(
            {
                "interaction_id": list(stamps),
                "channel": ["chat"] * 4,
                "agent_id": ["A2"] * 4,
                "team_id": ["T1"] * 4,
                "offered_at": list(stamps.values()),
            }
        ),
    )
    body = any_console.api(
        "/api/v1/conversations", "admin", agent_id="A2", **{"from": "2026-01-06", "to": "2026-01-06"}
    )
    assert {c["interaction_id"] for c in body.json()["items"]} == {"J2", "J3"}
    # the fixture's calls: I2 and I3 are at 10:00 and 13:00 local on 01-06, I1 on 01-05
    body = any_console.api(
        "/api/v1/conversations", "admin", agent_id="A1", **{"from": "2026-01-06", "to": "2026-01-06"}
    )
    assert {c["interaction_id"] for c in body.json()["items"]} == {"I2", "I3"}
    # the console page uses the same filter
    any_console.login("admin")
    page = any_console.get("/agents/A2", **{"from": "2026-01-06", "to": "2026-01-06"}).text
    # match the conversations' links: a bare "J4" can occur in the page's random CSRF token
    shown = set(re.findall(r'href="/conversations/([^"]+)"', page))
    assert shown == {"J2", "J3"}


def test_raw_identity_values_never_reach_the_console_or_api(console: Console) -> None:
    """Even with CSQM_KEEP_RAW_PII on, the clear value stored in customer_identities is never shown."""
    console.store.load_arrow(
        "customer_identities",
        pa.table(
            {
                "kind": ["phone"],
                "pseudonym": ["p1"],
                "customer_id": ["K1"],
                "masked_value": ["138****5678"],
                "raw_value": ["13812345678"],
            }
        ),
    )
    body = console.api("/api/v1/customers/K1", "auditor").text
    assert "13812345678" not in body
    console.login("auditor")
    for path in ("/customers/K1", "/conversations/I1", "/conversations/I5"):
        assert "13812345678" not in console.get(path).text
