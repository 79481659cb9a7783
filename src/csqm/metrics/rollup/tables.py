"""The rollup's bookkeeping table, declared like ``csqm.store.schema`` (to be folded into a migration).

The rollup itself, ``metric_rollup``, is a derived cache rebuilt whole by :func:`csqm.metrics.rollup.refresh`
(``CREATE TABLE … AS SELECT``): its measure columns are named after the catalogue's measures
(``m_<digest>``), so it has no fixed declaration. Its key columns are ``source``, ``period`` (local
midnight of the day) and the dimensions in ``ROLLUP_DIMENSIONS``; ``metric_rollup_teams`` is the
same summed over agents (no ``agent`` column), for requests that neither break down nor filter by agent.
"""

from __future__ import annotations

from csqm.store import Store
from csqm.store.schema import Column, Table

#: The rollup table (rebuilt whole on every refresh) and the name it is built under first.
ROLLUP_TABLE = "metric_rollup"
BUILDING_TABLE = "metric_rollup_next"
#: The same without the agent (summed over agents): ~30× fewer rows for centre- and team-level views.
TEAM_TABLE = "metric_rollup_teams"
TEAM_BUILDING_TABLE = "metric_rollup_teams_next"


def _c(name: str, type_: str, doc: str, **kw: object) -> Column:
    return Column(name, type_, doc, **kw)  # type: ignore[arg-type]


ROLLUP_STATE = Table(
    "metric_rollup_state",
    "What the metric rollup holds: its zone, the measures it covers and the data version it was built from.",
    (
        _c("rollup", "text", "Rollup table name.", nullable=False),
        _c("zone", "text", "Reporting zone its days are local to.", nullable=False),
        _c("data_version", "text", "Fingerprint of the source tables when the build started.", nullable=False),
        _c("measures", "text", "Space-separated digests of the measure columns it holds.", nullable=False),
        _c("row_count", "int", "Rows of the rollup.", unit="count", minimum=0),
        _c("built_at", "timestamp", "When it was built (UTC).", unit="UTC"),
        _c("build_seconds", "float", "How long the build took.", unit="s", minimum=0),
    ),
    key=("rollup",),
    group="system",
    ingestable=False,
)

ROLLUP_TABLES = (ROLLUP_STATE,)


def ensure_tables(store: Store) -> None:
    """Create the bookkeeping table if missing (idempotent)."""
    store.create_tables(ROLLUP_TABLES)
