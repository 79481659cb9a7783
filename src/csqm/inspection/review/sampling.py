"""Sampling plans for manual spot checks: stratified, a fixed size per stratum, reproducible.

Within each stratum conversations are ordered by ``md5(seed || interaction_id)``, so the same
seed over the same data always draws the same conversations, on either engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa

from csqm.errors import ConfigError
from csqm.inspection.review.tables import REVIEW_SAMPLES, ensure_review_tables
from csqm.store import Store

#: Interaction columns a plan may stratify by.
STRATA = ("agent_id", "team_id", "channel", "queue", "topic", "business_line", "region", "direction", "language")


@dataclass(frozen=True)
class SamplePlan:
    """Strata (``by``), conversations per stratum, seed, and optional filters."""

    by: tuple[str, ...] = ("team_id",)
    per_stratum: int = 5
    seed: int = 1
    since: datetime | None = None
    until: datetime | None = None
    only_inspected: bool = True
    only_failed: bool = False

    def check(self) -> None:
        bad = [c for c in self.by if c not in STRATA]
        if bad:
            raise ConfigError(f"Cannot stratify by {', '.join(bad)}; choose from {', '.join(STRATA)}.")
        if self.per_stratum < 1:
            raise ConfigError("The sample size per stratum must be at least 1.")


def _sql(plan: SamplePlan) -> tuple[str, list[object]]:
    cols = [f'i."{c}"' for c in plan.by]
    label = " || '|' || ".join(
        f"'{c}=' || coalesce(CAST({col} AS VARCHAR), '')" for c, col in zip(plan.by, cols, strict=True)
    )
    where, params = ["1 = 1"], []
    if plan.since is not None:
        where.append('i."offered_at" >= ?')
        params.append(plan.since)
    if plan.until is not None:
        where.append('i."offered_at" < ?')
        params.append(plan.until)
    join = ""
    if plan.only_inspected or plan.only_failed:
        join = 'JOIN "inspection_results" r ON r."interaction_id" = i."interaction_id" AND r."score" IS NOT NULL'
        if plan.only_failed:
            join += ' AND NOT r."passed"'
    partition = ", ".join(cols) or "1"
    label = label or "''"
    sql = (
        f'SELECT "interaction_id", "stratum" FROM (SELECT i."interaction_id", {label} AS "stratum", '
        f'row_number() OVER (PARTITION BY {partition} ORDER BY md5(CAST(? AS VARCHAR) || i."interaction_id")) AS "rn" '
        f'FROM "interactions" i {join} WHERE {" AND ".join(where)}) t WHERE "rn" <= ? '
        'ORDER BY "stratum", "interaction_id"'
    )
    return sql, [str(plan.seed), *params, plan.per_stratum]


def draw(store: Store, plan: SamplePlan) -> pd.DataFrame:
    """The conversations the plan draws (``interaction_id``, ``stratum``), without storing them."""
    plan.check()
    ensure_review_tables(store)
    sql, params = _sql(plan)
    return store.query(sql, params)


def create_sample(store: Store, name: str, plan: SamplePlan, *, now: datetime | None = None) -> pd.DataFrame:
    """Draw and store sample ``name`` (replacing a sample of that name); return its rows."""
    rows = draw(store, plan)
    stamp = (now or datetime.now(UTC)).replace(tzinfo=None)
    spec = json.dumps(
        {k: (str(v) if isinstance(v, datetime) else v) for k, v in vars(plan).items()}, ensure_ascii=False
    )
    table = pa.table(
        {
            "sample_id": pa.array([name] * len(rows), pa.string()),
            "interaction_id": pa.array(rows["interaction_id"].astype(str), pa.string()),
            "stratum": pa.array(rows["stratum"].astype(str), pa.string()),
            "seed": pa.array([plan.seed] * len(rows), pa.int64()),
            "plan": pa.array([spec] * len(rows), pa.string()),
            "created_at": pa.array([stamp] * len(rows), pa.timestamp("us")),
        }
    )
    with store.transaction():
        store.execute(f'DELETE FROM "{REVIEW_SAMPLES.name}" WHERE "sample_id" = ?', (name,))
        store.load_arrow(REVIEW_SAMPLES.name, table)
    return rows
