"""Web benchmark: p50 / p95 latency of the console's API over 1M interactions, with and without rollups.

Data: the demo generator's dataset (``--base`` interactions, ingested through the pipeline and
inspected without the sentiment model), scaled up to ``--interactions`` by replicating every
contact-side table — transcripts and inspection results included — with suffixed ids (same 12 weeks,
same teams and agents, ``N/base`` times the volume), as ``benchmarks/metrics.py`` does. The store is
kept under ``--keep`` (default ``/tmp/csqm-web-bench``) and reused by later runs.

The real app (``csqm.web.create_app``) is served by uvicorn on loopback in a child process and
called with httpx as an admin (API token), so every figure includes HTTP, auth, scope, JSON and the
audit log. Requests, ``--runs`` times each after one warm-up:

- overview: ``/kpis`` for the overview metric set, current month (no grain) and the 12-week trend
  by week — the two calls of the overview page, timed together;
- centre: the same set by centre for the month; team: by team for the month, and ``/teams``;
  agent: by agent within one team, and ``/agents?team_id=…``;
- conversation list: ``/conversations?agent_id=…`` (first page); one conversation:
  ``/conversations/{id}``.

Each is measured twice in the same run on the same store and server: with the rollups
(``CSQM_ROLLUP`` unset) and with them disabled (``CSQM_ROLLUP=off``, the baseline: every KPI
straight from the raw tables), alternating so that load on the shared machine hits both alike.

    .venv/bin/python -P benchmarks/web.py                      # 1M interactions (first run builds the store)
    .venv/bin/python -P benchmarks/web.py --interactions 200000 --runs 10
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

#: Contact-side tables and their id columns, suffixed per replica.
REPLICATED = {
    "customers": ("customer_id",),
    "interactions": ("interaction_id", "customer_id", "ticket_id"),
    "utterances": ("interaction_id",),
    "tickets": ("ticket_id", "interaction_id", "customer_id"),
    "surveys": ("survey_id", "interaction_id", "customer_id"),
    "complaints": ("complaint_id", "customer_id", "interaction_id", "ticket_id"),
    "orders": ("order_id", "customer_id"),
    "inspection_results": ("interaction_id",),
    "inspection_findings": ("interaction_id",),
    "inspection_feedback": ("survey_id", "interaction_id"),
}
COPIED = ("centres", "teams", "agents", "agent_states", "schedules", "inspection_rules")
SECRET = "benchmark-secret-0123456789"


def settings_for(folder: Path, path: Path) -> Any:
    from csqm.settings import Settings

    return Settings(data_dir=folder / "data", secret=SECRET, store_url=f"duckdb:///{path}")


def base_store(folder: Path, interactions: int, seed: int) -> Path:
    """Generate, ingest and inspect the base dataset once (reused from ``folder`` when present)."""
    from csqm.generate import generate
    from csqm.ingest import ingest_directory
    from csqm.inspection import inspect
    from csqm.store import open_store

    path = folder / f"base-{interactions}-{seed}.duckdb"
    if path.exists():
        return path
    work = folder / "building.duckdb"
    work.unlink(missing_ok=True)
    settings = settings_for(folder, work)
    began = time.perf_counter()
    generate(folder / f"in-{interactions}", interactions=interactions, seed=seed, fmt="parquet")
    print(f"  generated in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    with open_store(settings=settings) as store:
        ingest_directory(folder / f"in-{interactions}", store=store, settings=settings)
        print(f"  ingested in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        inspect(store, sentiment=False)
        print(f"  inspected in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    work.rename(path)
    return path


def scaled_store(folder: Path, base: Path, factor: int) -> Path:
    """A store with the contact tables of ``base`` replicated ``factor`` times (web tables created)."""
    from csqm.inspection.tables import ensure_tables as inspection_tables
    from csqm.metrics.history import ensure_table as history_table
    from csqm.store import open_store
    from csqm.store.migrations import declared_table
    from csqm.web.tables import ensure_tables as web_tables

    path = folder / f"{base.stem}-x{factor}.duckdb"
    if path.exists():
        return path
    work = folder / "scaling.duckdb"
    work.unlink(missing_ok=True)
    with open_store(f"duckdb:///{work}") as store:
        inspection_tables(store)
        history_table(store)
        web_tables(store)
        store.execute(f"ATTACH '{base}' AS base (READ_ONLY)")
        for name in COPIED:
            store.execute(f'INSERT INTO "{name}" SELECT * FROM base."{name}"')
        for name, ids in REPLICATED.items():
            names = declared_table(name).column_names
            cols = [f'"{c}" || \'~\' || k AS "{c}"' if c in ids else f'"{c}"' for c in names]
            store.execute(
                f'INSERT INTO "{name}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in names)}) '
                f'SELECT {", ".join(cols)} FROM base."{name}", range({factor}) r(k)'
            )
        store.execute("DETACH base")
        store.execute("CHECKPOINT")
    work.rename(path)
    return path


def prepare(folder: Path, interactions: int, base_n: int, seed: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    base = base_store(folder, base_n, seed)
    scaled = scaled_store(folder, base, max(1, interactions // base_n))
    print(f"data ready in {time.perf_counter() - began:.0f} s: {scaled}", file=sys.stderr)
    return scaled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--base", type=int, default=100_000, help="interactions generated, ingested, inspected")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20, help="timed requests per case and mode")
    parser.add_argument("--keep", type=Path, default=Path("/tmp/csqm-web-bench"), help="folder for the stores")
    parser.add_argument("--prepare-only", action="store_true", help="build the store and stop")
    args = parser.parse_args()
    scaled = prepare(args.keep, args.interactions, args.base, args.seed)
    if args.prepare_only:
        return
    raise SystemExit("not yet")


if __name__ == "__main__":
    main()
