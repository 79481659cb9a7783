"""The refresh that ingest and inspection call after they change data."""

from __future__ import annotations

from csqm.metrics.rollup.answer import built_state
from csqm.metrics.rollup.build import RefreshSummary, refresh
from csqm.store import Store


def after_change(store: Store) -> RefreshSummary | None:
    """Rebuild the rollup if the store has one (the first build is explicit: ``refresh``)."""
    if built_state(store) is None:
        return None
    return refresh(store)
