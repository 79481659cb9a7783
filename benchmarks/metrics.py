"""Metrics benchmark: the whole catalogue by team × week over 10M interactions, DuckDB vs pandas.

Data: the demo generator's dataset (``--base`` interactions, ingested through the pipeline), scaled
up to ``--interactions`` by replicating every contact-side table (interactions, tickets, surveys,
complaints, orders, customers) with suffixed ids — same 12 weeks, same teams, ``N/base`` times the
volume; the workforce tables (agents, states, schedules) are kept as generated.

Measured in one run on the same data, each side in its own child process (so peak memory is its own):
- DuckDB: ``compute_metrics(store, by=["team"], grain="week", …)`` for every active metric (those
  that cannot be broken down by team are skipped), median of ``--runs`` runs, first run included;
- pandas: the same KPIs with ``tests/metrics/reference.py`` (plain pandas, vectorised) on the same
  tables loaded into DataFrames (load time reported separately); the numbers are compared.

    .venv/bin/python benchmarks/metrics.py                       # 10M interactions (~15 min all in)
    .venv/bin/python benchmarks/metrics.py --interactions 1000000 --keep /tmp/csqm-bench
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path; keep its other scripts (e.g. one named like a
# standard module) from shadowing the standard library.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
START, END = "2026-01-05", "2026-03-29"

#: Contact-side tables and their id columns, suffixed per replica.
REPLICATED = {
    "customers": ("customer_id",),
    "interactions": ("interaction_id", "customer_id", "ticket_id"),
    "tickets": ("ticket_id", "interaction_id", "customer_id"),
    "surveys": ("survey_id", "interaction_id", "customer_id"),
    "complaints": ("complaint_id", "customer_id", "interaction_id", "ticket_id"),
    "orders": ("order_id", "customer_id"),
}
COPIED = ("centres", "teams", "agents", "agent_states", "schedules")

#: The columns the pandas side reads (only what its KPIs use, to keep its memory in bounds).
PANDAS_COLUMNS = {
    "teams": ["team_id", "centre_id", "business_line"],
    "agents": ["agent_id", "team_id", "hired_on", "left_on"],
    "customers": ["customer_id", "segment", "region", "business_line"],
    "interactions": ["interaction_id", "channel", "direction", "queue", "customer_id", "agent_id", "team_id",
                     "offered_at", "answered_at", "ended_at", "abandoned", "talk_seconds", "hold_seconds",
                     "acw_seconds", "first_response_seconds", "transfers", "topic", "product", "region",
                     "business_line", "resolved", "handled_by_bot", "escalated"],
    "tickets": ["ticket_id", "interaction_id", "customer_id", "agent_id", "team_id", "channel", "category",
                "is_complex", "created_at", "first_response_at", "resolved_at", "closed_at", "reopen_count",
                "mandatory_fields_total", "mandatory_fields_filled"],
    "surveys": ["survey_id", "interaction_id", "customer_id", "sent_at", "answered_at", "csat", "nps", "ces"],
    "complaints": ["complaint_id", "customer_id", "interaction_id", "channel", "category", "product", "region",
                   "created_at", "resolved_at"],
    "orders": ["order_id", "customer_id", "ordered_at", "status", "product"],
    "agent_states": ["agent_id", "state", "started_at", "ended_at"],
    "schedules": ["agent_id", "starts_at", "ends_at", "activity"],
}  # fmt: skip

SQL_SIDE = """
import json, resource, statistics, sys, time
from datetime import date
from csqm.metrics import compute_metrics
from csqm.store import open_store
store = open_store(sys.argv[1])
store.execute("SET enable_progress_bar = false")  # it writes to stdout
times, cpu = [], []
for _ in range(int(sys.argv[2])):
    began, began_cpu = time.perf_counter(), time.process_time()
    frame = compute_metrics(store, by=["team"], grain="week", start=date.fromisoformat(sys.argv[3]),
                            end=date.fromisoformat(sys.argv[4]), record_history=False)
    times.append(time.perf_counter() - began)
    cpu.append(time.process_time() - began_cpu)
frame.to_parquet(sys.argv[5])
print(json.dumps({"times": times, "cpu": cpu, "rows": len(frame), "metrics": frame["metric"].nunique(),
                  "skipped": sorted(frame.attrs["skipped"]),
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024}))
"""

PANDAS_SIDE = """
import json, resource, sys, time
from datetime import date
sys.path.insert(0, sys.argv[5])
from csqm.store import open_store
from tests.metrics.reference import Slice, kpis
COLUMNS = json.loads(sys.argv[6])
began = time.perf_counter()
with open_store(sys.argv[1]) as store:
    store.execute("SET enable_progress_bar = false")
    tables = {n: store.query("SELECT " + ", ".join(cols) + f' FROM "{n}"') for n, cols in COLUMNS.items()}
loaded = time.perf_counter() - began
cut = Slice(by=("team",), grain="week", start=date.fromisoformat(sys.argv[2]), end=date.fromisoformat(sys.argv[3]))
began, began_cpu = time.perf_counter(), time.process_time()
frame = kpis(tables, cut)
seconds, cpu = time.perf_counter() - began, time.process_time() - began_cpu
frame.to_parquet(sys.argv[4])
print(json.dumps({"load": loaded, "seconds": seconds, "cpu": cpu, "rows": len(frame),
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024}))
"""


def child(code: str, *args: str) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(proc.stderr[-4000:])
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def base_store(folder: Path, interactions: int, seed: int) -> Path:
    """Generate and ingest the base dataset once (reused from ``folder`` when present)."""
    from csqm.generate import generate
    from csqm.ingest import ingest_directory
    from csqm.settings import Settings
    from csqm.store import open_store

    path = folder / f"base-{interactions}-{seed}.duckdb"
    if path.exists():
        return path
    settings = Settings(data_dir=folder / "data", secret="benchmark-secret-0123456789", store_url=f"duckdb:///{path}")
    generate(folder / f"in-{interactions}", interactions=interactions, seed=seed, fmt="parquet")
    with open_store(settings=settings) as store:
        ingest_directory(folder / f"in-{interactions}", store=store, settings=settings)
    return path


def scaled_store(folder: Path, base: Path, factor: int) -> Path:
    """A store with the contact tables of ``base`` replicated ``factor`` times."""
    from csqm.store import open_store
    from csqm.store.schema import table

    path = folder / f"{base.stem}-x{factor}.duckdb"
    if path.exists():
        return path
    with open_store(f"duckdb:///{path}") as store:
        store.execute(f"ATTACH '{base}' AS base (READ_ONLY)")
        for name in COPIED:
            store.execute(f'INSERT INTO "{name}" SELECT * FROM base."{name}"')
        for name, ids in REPLICATED.items():
            cols = [f'"{c}" || \'~\' || k AS "{c}"' if c in ids else f'"{c}"' for c in table(name).column_names]
            store.execute(f'INSERT INTO "{name}" SELECT {", ".join(cols)} FROM base."{name}", range({factor}) r(k)')
        store.execute("DETACH base")
        store.execute("CHECKPOINT")
    return path


def compare(sql_file: Path, pandas_file: Path) -> tuple[int, int]:
    """(values compared, values that differ by more than 1e-9 relative)."""
    import math

    import pandas as pd

    def as_map(frame: pd.DataFrame) -> dict[tuple[object, ...], float]:
        out = {}
        for row in frame.to_dict("records"):
            if row["value"] is not None and not pd.isna(row["value"]):
                team = None if row["team"] is None or pd.isna(row["team"]) else row["team"]
                out[(row["metric"], pd.Timestamp(row["period"]), team)] = float(row["value"])
        return out

    sql, ref = as_map(pd.read_parquet(sql_file)), as_map(pd.read_parquet(pandas_file))
    keys = set(sql) | set(ref)
    bad = [k for k in keys if k not in sql or k not in ref or not math.isclose(sql[k], ref[k], rel_tol=1e-9)]
    return len(keys), len(bad)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--base", type=int, default=100_000, help="interactions generated and ingested")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="folder to keep (and reuse) the generated stores in")
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="csqm-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    base = base_store(folder, args.base, args.seed)
    scaled = scaled_store(folder, base, max(1, args.interactions // args.base))
    print(f"data ready in {time.perf_counter() - began:.0f} s: {scaled}", file=sys.stderr)
    url = f"duckdb:///{scaled}"
    sql = child(SQL_SIDE, url, str(args.runs), START, END, str(folder / "sql.parquet"))
    times = sorted(sql["times"])  # type: ignore[arg-type]
    median = times[len(times) // 2]
    cpu = sorted(sql["cpu"])[len(times) // 2]  # type: ignore[arg-type]
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"DuckDB catalogue by team x week: runs {', '.join(f'{t:.2f}' for t in sql['times'])} s "  # type: ignore[union-attr]
        f"(median {median:.2f} s wall, {cpu:.2f} s CPU), {sql['metrics']} metrics, {sql['rows']} rows, "
        f"skipped {sql['skipped']}, peak {sql['peak_gb']:.2f} GB"
    )
    if args.skip_pandas:
        return
    pdr = child(PANDAS_SIDE, url, START, END, str(folder / "pandas.parquet"), str(ROOT), json.dumps(PANDAS_COLUMNS))
    compared, differ = compare(folder / "sql.parquet", folder / "pandas.parquet")
    print(
        f"pandas: load {pdr['load']:.1f} s, KPIs {pdr['seconds']:.1f} s wall, {pdr['cpu']:.1f} s CPU, "
        f"peak {pdr['peak_gb']:.2f} GB"
    )
    print(f"ratio pandas / DuckDB (median): {float(pdr['seconds']) / median:.1f}x")  # type: ignore[arg-type]
    print(f"values compared: {compared}, differing: {differ}")


if __name__ == "__main__":
    main()
