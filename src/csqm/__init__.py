"""CSQM — Customer Service Quality Monitor.

The Python API does what the CLI does and returns DataFrames for tables::

    import csqm
    store = csqm.open_store()                      # embedded DuckDB by default
    csqm.ingest_file("calls.csv", "interactions", store=store)
    df = store.query("SELECT channel, count(*) AS n FROM interactions GROUP BY channel")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csqm.errors import ConfigError, CsqmError, IngestError, StoreBusyError, StoreError
from csqm.ingest import IngestSummary, ingest_directory, ingest_file
from csqm.settings import Settings
from csqm.store import Store, open_store

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "CsqmError",
    "IngestError",
    "IngestSummary",
    "Settings",
    "Store",
    "StoreBusyError",
    "StoreError",
    "__version__",
    "generate",
    "ingest_directory",
    "ingest_file",
    "open_store",
]


def generate(out_dir: str | Path, **options: Any) -> Any:
    """Write a seeded demo dataset (see :func:`csqm.generate.generate`)."""
    from csqm.generate import generate as run

    return run(Path(out_dir), **options)
