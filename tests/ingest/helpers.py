"""Small helpers for ingest tests: write CSV files and dump everything stored as text."""

from __future__ import annotations

from pathlib import Path

from csqm.store import TABLES, Store

HEADER = "interaction_id,channel,offered_at,answered_at,ended_at,talk_seconds,agent_id,customer_phone,topic"


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def stored_text(store: Store) -> str:
    """Every value in every table, as one string (to assert that raw PII is nowhere)."""
    parts = []
    for decl in TABLES:
        frame = store.query(f'SELECT * FROM "{decl.name}"')
        parts.append(frame.astype(str).to_csv(index=False))
    return "\n".join(parts)
