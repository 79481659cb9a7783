"""Orders for RFM and repurchase, from 180 days before the period to its end.

Churning customers (planted problem 5) order at least twice in the 120 days before their bad
experience and never on or after that day.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from csqm.generate import plan as P
from csqm.generate.banks import catalog, reference
from csqm.generate.people import Customers
from csqm.generate.records import Columns, identity_columns
from csqm.generate.textkit import join, num, take
from csqm.generate.writer import ts

BLOCK = 50_000  # customers per block


def order_blocks(plan: P.Plan, people: Customers) -> list[tuple[int, int]]:
    """(first customer, count) of each block."""
    return [(a, min(BLOCK, people.n - a)) for a in range(0, people.n, BLOCK)]


def order_columns(plan: P.Plan, people: Customers, block: int, first: int, count: int, first_order: int) -> Columns:
    """orders.csv rows of customers ``first … first+count``; ids continue from ``first_order``."""
    rng = plan.rng(20, block)
    cust_all = np.arange(first, first + count)
    start = np.maximum(people.first_seen[cust_all], plan.t0 - plan.history_days * P.DAY)
    months = (plan.t_end - start) / (30 * P.DAY)
    k = rng.poisson(people.order_rate[cust_all] * months)
    cust = np.repeat(cust_all, k)
    lo = np.repeat(start, k)
    when = lo + (rng.random(len(cust)) * (plan.t_end - lo)).astype(np.int64)
    churn = people.churn_day[cust]
    keep = (churn < 0) | (when < plan.t0 + churn * P.DAY)
    cust, when = cust[keep], when[keep]
    extra = np.flatnonzero(people.churn_day[cust_all] >= 0)
    if extra.size:
        churner = np.repeat(cust_all[extra], 2)
        day = people.churn_day[churner]
        back = rng.uniform(3, 120, len(churner))
        cust = np.concatenate([cust, churner])
        before = np.maximum(plan.t0 + ((day - back) * P.DAY).astype(np.int64), people.first_seen[churner])
        when = np.concatenate([when, before])
    order = np.lexsort((when, cust))
    cust, when = cust[order], when[order]
    return _columns(plan, people, cust, when, first_order, rng)


def _columns(
    plan: P.Plan, people: Customers, cust: np.ndarray, when: np.ndarray, first_order: int, rng: np.random.Generator
) -> Columns:
    ref, n = reference(plan.lang), len(cust)
    line = people.line[cust]
    launch = ref.product(P.LAUNCH_PRODUCT)
    launched = when >= plan.t0 + plan.launch_week * 7 * P.DAY
    w = ref.product_weight[None, :] * (ref.product_line[None, :] == line[:, None])
    w[:, launch] = np.where(launched & (line == 0), 12.0, 0.0)
    cdf = np.cumsum(w, axis=1)
    product = (rng.random(n)[:, None] * cdf[:, -1:] > cdf).sum(axis=1)
    low, high = ref.product_price[product, 0], ref.product_price[product, 1]
    amount = np.round(rng.uniform(low, high) * np.where(line == 1, 1.0, rng.integers(1, 3, n)), 2)
    recent = when > plan.t_end - 5 * P.DAY
    status = np.where(recent, rng.integers(0, 2, n), 2)
    u = rng.random(n)
    status = np.where(u < 0.05, 3, np.where(u < 0.11, 4, status))
    mask = np.zeros((n, 6), dtype=bool)
    has = people.has[cust]
    mask[:, 5] = has[:, 5]
    mask[:, 0] = ~has[:, 5] & has[:, 0]
    mask[:, 2] = ~has[:, 5] & ~has[:, 0]
    cols: Columns = {
        "order_id": join("DD", num(np.arange(first_order + 1, first_order + n + 1), 10)),
        "ordered_at": ts(when),
        "amount": amount,
        "product": take(pa.array(ref.product_names), product),
        "channel": take(pa.array(catalog()["order_channels"][plan.lang]), rng.integers(0, 5, n)),
        "status": take(pa.array(["paid", "shipped", "delivered", "cancelled", "refunded"]), status),
    }
    cols.update(identity_columns(people, cust, mask))
    return cols
