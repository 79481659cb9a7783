"""Metric rollups: per-day totals of the additive measures, so dashboards need not scan every contact.

    >>> from csqm.metrics import rollup
    >>> rollup.refresh(store)                       # after ingest and inspection (hooked in both)
    >>> rollup.compute_metrics(store, ["answer_rate"], by=["team"], grain="week", start=…, end=…)

:func:`compute_metrics` takes the arguments of :func:`csqm.metrics.compute_metrics` and returns the
same result; metrics whose measures the rollup holds (counts and sums, ratios and derivations of
them) are read from it, the others — percentiles, distinct counts, employment spans, hourly grain,
dimensions the rollup does not keep — from the raw tables. A rollup whose data version differs from
the store's is never used. See ``docs/rollups.md``.
"""

from __future__ import annotations

from csqm.metrics.rollup.answer import RollupState, built_state, compute_metrics, current_state, enabled
from csqm.metrics.rollup.build import RefreshSummary, refresh
from csqm.metrics.rollup.hooks import after_change, ensure_built
from csqm.metrics.rollup.specs import ROLLUP_DIMENSIONS

__all__ = [
    "ROLLUP_DIMENSIONS",
    "RefreshSummary",
    "RollupState",
    "after_change",
    "built_state",
    "compute_metrics",
    "current_state",
    "enabled",
    "ensure_built",
    "refresh",
]
