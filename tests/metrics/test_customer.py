"""Customer-outcome KPIs (M6, L5) on a hand-made fixture, on DuckDB and PostgreSQL."""

from __future__ import annotations

import pytest

from csqm.metrics import MetricQueryError, compute_metrics
from csqm.store import Store
from tests.metrics.helpers import Row, assert_values, by_metric, d, load, ts


def order(oid: str, customer: str, day: str, status: str = "paid") -> Row:
    return {
        "order_id": oid,
        "customer_id": customer,
        "ordered_at": ts(f"{day} 04:00"),
        "status": status,
        "amount": 10.0,
    }


ORDERS = [
    order("o1", "C1", "2025-06-01"),
    order("o2", "C1", "2026-01-10"),  # within 365 days of o1: a repurchase
    order("o3", "C2", "2026-01-15"),  # first order
    order("o4", "C2", "2026-01-20", "cancelled"),  # cancelled: not a purchase
    order("o5", "C3", "2024-01-01"),
    order("o6", "C3", "2026-02-01"),  # more than 365 days after o5
    order("o7", "C4", "2025-12-01", "cancelled"),
    order("o8", "C4", "2026-02-10"),  # the earlier order was cancelled: not a repurchase
]


def complaint(cid: str, customer: str, day: str) -> Row:
    return {"complaint_id": cid, "customer_id": customer, "created_at": ts(f"{day} 02:00")}


COMPLAINTS = [
    complaint("k1", "C1", "2026-01-05"),  # ordered o2 five days later: won back
    complaint("k2", "C2", "2026-01-16"),  # the only later order was cancelled
    complaint("k3", "C3", "2025-10-01"),  # outside the range
    complaint("k4", "C5", "2026-02-01"),  # never ordered
    complaint("k5", "C1", "2026-02-01"),  # no order after this one, but C1 already counts once
]
CUSTOMERS = [
    {"customer_id": c, "segment": "VIP" if c in ("C1", "C2") else "regular", "business_line": "ToC"}
    for c in ("C1", "C2", "C3", "C4", "C5")
]

EXPECTED: dict[str, float | None] = {
    "repurchase_rate": 100 * 1 / 4,  # C1 of C1 C2 C3 C4
    "complainer_repurchase_rate": 100 * 1 / 3,  # C1 of C1 C2 C5
}
Q1 = {"start": d("2026-01-01"), "end": d("2026-03-31")}


@pytest.fixture
def loaded(store: Store) -> Store:
    load(store, {"customers": CUSTOMERS, "orders": ORDERS, "complaints": COMPLAINTS})
    return store


def test_every_customer_metric_matches_the_hand_computed_value(loaded: Store) -> None:
    assert_values(by_metric(compute_metrics(loaded, list(EXPECTED), **Q1)), EXPECTED)


def test_repurchase_by_segment(loaded: Store) -> None:
    frame = compute_metrics(loaded, ["repurchase_rate"], by=["segment"], **Q1)
    assert dict(zip(frame["segment"], frame["value"], strict=True)) == {"VIP": 50.0, "regular": 0.0}


def test_orders_have_no_team(loaded: Store) -> None:
    with pytest.raises(MetricQueryError, match=r"repurchase_rate cannot be broken down or filtered by team"):
        compute_metrics(loaded, ["repurchase_rate"], by=["team"])
