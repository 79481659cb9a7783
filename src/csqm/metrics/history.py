"""Metric history (M7): every definition and target a metric has had, with its effective date.

``metric_versions`` holds one row per change. A new version is recorded whenever a metric's
definition or target (``Metric.definition_hash``) differs from its latest version; it takes effect
on the metric's ``effective_from`` date when that is later than the previous version's, otherwise
on the day it was recorded. A period is computed with — and judged against — the version in effect
on its first day; periods before the first version use the first version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd

from csqm.metrics.catalogue import Catalogue
from csqm.metrics.model import Metric
from csqm.store import ddl
from csqm.store.base import Store

TABLE = "metric_versions"

_DDL = (
    'CREATE TABLE IF NOT EXISTS "metric_versions" ('
    '"metric_id" {text} NOT NULL, "version" BIGINT NOT NULL, "effective_from" DATE NOT NULL, '
    '"definition_hash" {text} NOT NULL, "definition" {text} NOT NULL, "recorded_at" TIMESTAMP NOT NULL, '
    'PRIMARY KEY ("metric_id", "version"))'
)


@dataclass(frozen=True)
class Version:
    """One recorded version of a metric."""

    metric_id: str
    version: int
    effective_from: date
    definition_hash: str
    metric: Metric


def ensure_table(store: Store) -> None:
    """Create ``metric_versions`` if it does not exist (idempotent, on either engine)."""
    store.execute(_DDL.format(text="TEXT" if store.dialect == "postgres" else "VARCHAR"))


def load(store: Store, ids: list[str] | None = None) -> dict[str, list[Version]]:
    """Recorded versions by metric, oldest first."""
    ensure_table(store)
    frame = store.query(
        'SELECT "metric_id", "version", "effective_from", "definition_hash", "definition" '
        f'FROM {ddl.quote(TABLE)} ORDER BY "metric_id", "version"'
    )
    out: dict[str, list[Version]] = {}
    for row in frame.to_dict("records"):
        if ids is not None and row["metric_id"] not in ids:
            continue
        metric = Metric.model_validate(json.loads(str(row["definition"])))
        number = int(str(row["version"]))
        version = Version(
            str(row["metric_id"]), number, _as_date(row["effective_from"]), str(row["definition_hash"]), metric
        )
        out.setdefault(version.metric_id, []).append(version)
    return out


def sync(store: Store, catalogue: Catalogue, today: date) -> dict[str, list[Version]]:
    """Record what changed (see :func:`record`) and return every metric's versions, oldest first."""
    known = load(store)
    for version in record(store, catalogue, today, known=known):
        known.setdefault(version.metric_id, []).append(version)
    return known


def record(
    store: Store, catalogue: Catalogue, today: date, *, known: dict[str, list[Version]] | None = None
) -> list[Version]:
    """Record a new version of every metric whose definition or target changed; return them."""
    known = load(store) if known is None else known
    new: list[Version] = []
    for metric in catalogue.metrics.values():
        history = known.get(metric.id, [])
        digest = metric.definition_hash()
        if history and history[-1].definition_hash == digest:
            continue
        effective = metric.effective_from or today
        if history and effective <= history[-1].effective_from:
            effective = max(today, history[-1].effective_from)
        new.append(Version(metric.id, (history[-1].version + 1) if history else 1, effective, digest, metric))
    if new:
        _insert(store, new)
    return new


def _insert(store: Store, versions: list[Version]) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    with store.transaction():
        for v in versions:
            store.execute(
                f"INSERT INTO {ddl.quote(TABLE)} VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (v.metric_id, v.version, v.effective_from, v.definition_hash, v.metric.model_dump_json(), now),
            )


def in_effect(history: list[Version], day: date | None) -> Version | None:
    """The version in effect on ``day`` (the latest one when ``day`` is None)."""
    if not history:
        return None
    if day is None:
        return history[-1]
    started = [v for v in history if v.effective_from <= day]
    if not started:
        return min(history, key=lambda v: (v.effective_from, v.version))
    return max(started, key=lambda v: (v.effective_from, v.version))


def _as_date(value: object) -> date:
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def history_frame(store: Store, ids: list[str] | None = None) -> pd.DataFrame:
    """Recorded versions as a table: metric, version, effective_from, hash, target, warning, definition."""
    rows = []
    for metric_id, versions in load(store, ids).items():
        for v in versions:
            rows.append(
                {
                    "metric": metric_id,
                    "version": v.version,
                    "effective_from": v.effective_from,
                    "definition_hash": v.definition_hash,
                    "target": v.metric.target,
                    "warning": v.metric.warning,
                    "definition": json.dumps(v.metric.definition(), ensure_ascii=False, sort_keys=True),
                }
            )
    columns = ["metric", "version", "effective_from", "definition_hash", "target", "warning", "definition"]
    return pd.DataFrame(rows, columns=columns)
