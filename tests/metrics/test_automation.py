"""AI + human KPIs (I2, M6) on a hand-made fixture, on DuckDB and PostgreSQL."""

from __future__ import annotations

import pytest

from csqm.metrics import compute_metrics
from csqm.store import Store
from tests.metrics.helpers import Row, assert_values, by_metric, load, ts

T0 = ts("2026-03-02 02:00")


def session(iid: str, channel: str, *, answered: bool, bot: bool = False, escalated: bool = False) -> Row:
    return {
        "interaction_id": iid,
        "channel": channel,
        "direction": "inbound",
        "offered_at": T0,
        "answered_at": T0 if answered else None,
        "abandoned": not answered and not bot,
        "handled_by_bot": bot,
        "escalated": escalated,
    }


INTERACTIONS = [
    session("b1", "bot", answered=True, bot=True),
    session("b2", "bot", answered=True, bot=True),
    session("b3", "bot", answered=True, escalated=True),  # handed to a human
    session("b4", "bot", answered=False),  # customer left the bot
    session("h1", "phone", answered=True),
    session("h2", "chat", answered=True),
    session("h3", "phone", answered=False),  # abandoned: not handled by anyone
    session("s1", "self_service", answered=False, bot=True),  # IVR self-service, no answer time
]

EXPECTED: dict[str, float | None] = {
    "bot_containment": 100 * 2 / 4,  # b1 b2 of b1…b4
    "bot_escalation_rate": 100 * 1 / 4,  # b3
    "automation_share": 100 * 3 / 6,  # b1 b2 s1 of b1 b2 b3 h1 h2 s1
}


@pytest.fixture
def loaded(store: Store) -> Store:
    load(store, {"interactions": INTERACTIONS})
    return store


def test_every_automation_metric_matches_the_hand_computed_value(loaded: Store) -> None:
    assert_values(by_metric(compute_metrics(loaded, list(EXPECTED))), EXPECTED)
