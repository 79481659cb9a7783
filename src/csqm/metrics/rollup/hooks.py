"""The refresh that ingest and inspection call after they change data."""

from __future__ import annotations

from csqm.metrics.rollup.answer import built_state, enabled
from csqm.metrics.rollup.build import RefreshSummary, refresh
from csqm.metrics.rollup.version import data_version
from csqm.store import Store


def after_change(store: Store) -> RefreshSummary | None:
    """Rebuild the rollup if the store has one and its data changed since (the first build is
    explicit: :func:`csqm.metrics.rollup.refresh`, so small stores and tests pay nothing)."""
    state = built_state(store)
    if state is None or state.data_version == data_version(store):
        return None
    return refresh(store)


def ensure_built(store: Store) -> RefreshSummary | None:
    """Build the rollup if it is enabled and missing or stale (what ``csqm serve`` and the demo call
    before serving, so the console's first requests are fast); ``None`` when there was nothing to do."""
    if not enabled():
        return None
    state = built_state(store)
    if state is not None and state.data_version == data_version(store):
        return None
    return refresh(store)
