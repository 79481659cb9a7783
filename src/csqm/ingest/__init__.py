"""Ingestion: ``csqm ingest KIND FILE…`` and the same from Python."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from csqm.errors import IngestError
from csqm.ingest.pipeline import ingest_file
from csqm.ingest.summary import IngestSummary, KindCounts
from csqm.settings import Settings
from csqm.store.base import Store
from csqm.store.schema import INGEST_KINDS

__all__ = ["IngestSummary", "KindCounts", "canonical_files", "ingest_directory", "ingest_file"]

SUFFIXES = (".parquet", ".csv", ".jsonl", ".json", ".xlsx")


def canonical_files(folder: Path) -> list[tuple[str, Path]]:
    """Files named ``<kind>.<ext>`` in ``folder``, in dependency order (organisation first)."""
    found = []
    for kind in INGEST_KINDS:
        for suffix in SUFFIXES:
            path = folder / f"{kind}{suffix}"
            if path.exists():
                found.append((kind, path))
                break
    return found


def ingest_directory(
    folder: str | Path,
    *,
    store: Store,
    settings: Settings | None = None,
    on_file: Callable[[str, Path], Callable[[int], None] | None] | None = None,
) -> list[IngestSummary]:
    """Ingest every canonical file of a folder (each file its own atomic batch)."""
    folder = Path(folder)
    files = canonical_files(folder)
    if not files:
        raise IngestError(f"{folder} holds no canonical files (expected names like interactions.csv).")
    results = []
    for kind, path in files:
        progress = on_file(kind, path) if on_file else None
        results.append(ingest_file(path, kind, store=store, settings=settings, progress=progress))
    return results
