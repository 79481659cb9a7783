"""The data version: a cheap fingerprint of every table a metric reads, so a stale rollup is never served.

It combines the row count of each table the metric sources read (directly, through joins, or in
computed columns), the latest ingest batch, the latest inspection stamps and the row count of the
real-time event log. Ingest writes a batch, inspection writes stamps and real-time processing logs
every event it accepts in the transaction that applies it, so any change through them — an update
included (a call answered or ended in real time changes its ``interactions`` row in place) —
changes it; other writes (tests, the review workbench) change at least a row count, or must call
:func:`csqm.metrics.rollup.refresh` themselves.
"""

from __future__ import annotations

from csqm.metrics.sources import SOURCES
from csqm.store import Store, ddl

#: Tables read by computed columns (correlated sub-queries) rather than as a source or a join.
_READ_BY_COMPUTED = ("inspection_findings", "inspection_feedback", "complaints", "orders", "agent_states")

#: Logs that grow with every write of a process that otherwise updates watched rows in place.
_LOGS = ("realtime_events",)

#: (table, column) whose maximum moves whenever the table is rewritten.
_STAMPS = (
    ("ingest_batches", "batch_id"),
    ("inspection_results", "inspected_at"),
    ("inspection_feedback", "inspected_at"),
)


def watched_tables() -> list[str]:
    """Every table a metric source reads, sorted."""
    names = set(_READ_BY_COMPUTED)
    for src in SOURCES.values():
        names.add(src.name)
        names.update(join.table for join in src.joins.values())
    return sorted(names)


def existing_tables(store: Store) -> set[str]:
    frame = store.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
    return {str(n) for n in frame["table_name"]}


def data_version(store: Store, present: set[str] | None = None) -> str:
    """The fingerprint (one query): ``table=count`` and ``table.column=max`` parts, joined."""
    present = existing_tables(store) if present is None else present
    parts: list[tuple[str, str]] = [
        (t, f"SELECT count(*) FROM {ddl.quote(t)}") for t in (*watched_tables(), *_LOGS) if t in present
    ]
    parts += [
        (f"{t}.{c}", f"SELECT CAST(max({ddl.quote(c)}) AS VARCHAR) FROM {ddl.quote(t)}")
        for t, c in _STAMPS
        if t in present
    ]
    if not parts:
        return ""
    row = store.query("SELECT " + ", ".join(f"({sql}) AS v{i}" for i, (_, sql) in enumerate(parts))).iloc[0]
    return ";".join(f"{name}={row[f'v{i}']}" for i, (name, _) in enumerate(parts))
