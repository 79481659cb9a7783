"""Compliance KPIs (M4) on a hand-made fixture, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from csqm.metrics import compute_metrics
from csqm.store import Store
from tests.metrics.helpers import Row, assert_values, by_metric, load, ts

T0 = ts("2026-03-02 02:00")


def ticket(
    tid: str, total: int | None, filled: int | None, resolved_h: float | None = None, closed_h: float | None = None
) -> Row:
    return {
        "ticket_id": tid,
        "created_at": T0,
        "mandatory_fields_total": total,
        "mandatory_fields_filled": filled,
        "resolved_at": T0 + timedelta(hours=resolved_h) if resolved_h is not None else None,
        "closed_at": T0 + timedelta(hours=closed_h) if closed_h is not None else None,
    }


TICKETS = [
    ticket("t1", 5, 5, resolved_h=1, closed_h=2),
    ticket("t2", 4, 2, resolved_h=3, closed_h=2),  # closed before it was resolved: procedure broken
    ticket("t3", 0, 0, closed_h=2),  # no mandatory fields; closed without resolution
    ticket("t4", 3, 5),  # more filled than on the form: capped at 3
    ticket("t5", None, None, resolved_h=2, closed_h=2),  # resolved and closed at once: fine
]


def complaint(cid: str, resolved_h: float | None) -> Row:
    return {
        "complaint_id": cid,
        "created_at": T0,
        "resolved_at": T0 + timedelta(hours=resolved_h) if resolved_h is not None else None,
    }


COMPLAINTS = [complaint("c1", 24), complaint("c2", 72), complaint("c3", None), complaint("c4", 48)]

EXPECTED: dict[str, float | None] = {
    "ticket_field_completeness": 100 * (5 + 2 + 3) / (5 + 4 + 3),
    "tickets_fully_filled": 100 * 2 / 3,  # t1 t4 of t1 t2 t4
    "ticket_close_process": 100 * 2 / 4,  # t1 t5 of the closed t1 t2 t3 t5
    "complaint_resolution_sla": 100 * 2 / 4,  # c1 and c4 (exactly 48 h)
}


@pytest.fixture
def loaded(store: Store) -> Store:
    load(store, {"tickets": TICKETS, "complaints": COMPLAINTS})
    return store


def test_every_compliance_metric_matches_the_hand_computed_value(loaded: Store) -> None:
    assert_values(by_metric(compute_metrics(loaded, list(EXPECTED))), EXPECTED)


def test_field_completeness_is_field_level(loaded: Store) -> None:
    frame = compute_metrics(loaded, ["ticket_field_completeness"])
    assert (frame.at[0, "numerator"], frame.at[0, "denominator"]) == (10, 12)
