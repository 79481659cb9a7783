"""Web benchmark: p50 / p95 latency of the console's API over 1M interactions, with and without rollups.

Data: the demo generator's dataset (``--base`` interactions, ingested through the pipeline and
inspected without the sentiment model), scaled up to ``--interactions`` by replicating every
contact-side table — transcripts and inspection results included — with suffixed ids (same 12 weeks,
same teams and agents, ``N/base`` times the volume), as ``benchmarks/metrics.py`` does. The store is
kept under ``--keep`` (default ``/tmp/csqm-web-bench``) and reused by later runs.

The real app (``csqm.web.create_app``) is served by uvicorn on loopback in a child process and
called with httpx as an admin (API token), so every figure includes HTTP, auth, scope, JSON and the
audit log. Requests, ``--runs`` times each after one warm-up:

- overview: ``/kpis`` for the overview metric set (every active metric of the efficiency, quality
  and compliance dimensions, 43), current month (no grain); and the 12-week trend by week;
- centre: the same set by centre for the month; team: by team for the month, and ``/teams``;
  agent: by agent within one team, and ``/agents?team_id=…``;
- conversation list: ``/conversations?agent_id=…`` (first page); one conversation:
  ``/conversations/{id}``.

Each is measured in the same run on two servers over identical stores (the second a copy, as
DuckDB allows one writing process per file): with the rollups (``CSQM_ROLLUP=on``) and without
(``CSQM_ROLLUP=off``, the baseline: every KPI straight from the raw tables), called in turn request
by request, so that load from elsewhere on the shared machine weighs on both alike. A full rollup
refresh (what every ingest batch and inspection run triggers) is timed before. Besides wall-clock
percentiles, the server process's CPU time per request (user + system, all threads, from /proc) is
reported: it does not depend on what else the machine is running.

    .venv/bin/python -P benchmarks/web.py                      # 1M interactions (first run builds the store)
    .venv/bin/python -P benchmarks/web.py --runs 5                # a quick look
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
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


SERVER = """
import sys, uvicorn
from csqm.settings import Settings
from csqm.web import create_app
settings = Settings(data_dir=sys.argv[2], secret=sys.argv[3], store_url=sys.argv[1])
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[4]), log_level="warning")
"""

MONTH = {"from": "2026-03-01", "to": "2026-03-31"}
TREND = {"from": "2026-01-05", "to": "2026-03-29", "grain": "week"}


def setup(folder: Path, path: Path) -> tuple[str, dict[str, list[tuple[str, dict[str, str]]]], float]:
    """Admin token, the requests of each case, and the time of a full rollup refresh."""
    from csqm.metrics import load_catalogue, rollup, user_dir_from_env
    from csqm.store import open_store
    from csqm.web import create_user_with_token
    from csqm.web.tables import ensure_tables

    with open_store(settings=settings_for(folder, path)) as store:
        store.execute("SET enable_progress_bar = false")
        ensure_tables(store)
        store.execute('DELETE FROM "web_tokens" WHERE "username" = \'bench\'')
        store.execute('DELETE FROM "web_users" WHERE "username" = \'bench\'')
        _, token = create_user_with_token(store, username="bench", role="admin")
        cat = load_catalogue(user_dir_from_env())
        refreshed = rollup.refresh(store, cat)
        team = str(store.scalar('SELECT "team_id" FROM "teams" ORDER BY "team_id" LIMIT 1'))
        agent = str(
            store.scalar(
                'SELECT "agent_id" FROM "interactions" WHERE "team_id" = ? GROUP BY "agent_id" '
                'ORDER BY count(*) DESC, "agent_id" LIMIT 1',
                [team],
            )
        )
        conversation = str(
            store.scalar(
                'SELECT i."interaction_id" FROM "interactions" i JOIN "inspection_findings" f '
                'ON f."interaction_id" = i."interaction_id" WHERE i."agent_id" = ? '
                'ORDER BY i."offered_at" DESC LIMIT 1',
                [agent],
            )
        )
        overview = ",".join(m.id for m in cat.active() if str(m.dimension) in ("efficiency", "quality", "compliance"))
    kpis = "/api/v1/kpis"
    cases = {
        "overview: KPI tiles, current month": [(kpis, {"metrics": overview, **MONTH})],
        "overview: trend lines, 12 weeks by week": [(kpis, {"metrics": overview, **TREND})],
        "centre level (KPIs by centre)": [(kpis, {"metrics": overview, "by": "centre", **MONTH})],
        "team level (KPIs by team, /teams)": [
            (kpis, {"metrics": overview, "by": "team", **MONTH}),
            ("/api/v1/teams", {}),
        ],
        f"agent level (KPIs by agent of {team}, /agents)": [
            (kpis, {"metrics": overview, "by": "agent", "where": f"team={team}", **MONTH}),
            ("/api/v1/agents", {"team_id": team}),
        ],
        "agent's conversation list (page 1 of 50)": [("/api/v1/conversations", {"agent_id": agent, "page_size": "50"})],
        "one conversation": [(f"/api/v1/conversations/{conversation}", {})],
    }
    return token, cases, refreshed.seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(folder: Path, path: Path, rollup: bool) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "CSQM_ROLLUP": "on" if rollup else "off"}
    args = [f"duckdb:///{path}", str(folder / "data"), SECRET, str(port)]
    return subprocess.Popen([sys.executable, "-c", SERVER, *args], env=env, cwd=ROOT), port


def measure(
    folder: Path, paths: tuple[Path, Path], token: str, cases: dict[str, list[tuple[str, dict[str, str]]]], runs: int
) -> tuple[dict[bool, dict[str, list[float]]], dict[bool, dict[str, float]]]:
    """Two servers — rollup on (first store) and off (its copy) — called in turn, case by case, so
    that whatever else runs on the machine weighs on both alike. One warm-up round, then ``runs``."""
    import httpx

    servers = {on: start_server(folder, path, on) for on, path in zip((True, False), paths, strict=True)}
    times: dict[bool, dict[str, list[float]]] = {on: {name: [] for name in cases} for on in servers}
    cpu: dict[bool, dict[str, float]] = {on: dict.fromkeys(cases, 0.0) for on in servers}
    headers = {"Authorization": f"Bearer {token}"}
    clients = {
        on: httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) for on, (_, port) in servers.items()
    }
    try:
        for client in clients.values():
            for _ in range(600):
                try:
                    client.get("/api/v1/teams", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
        for round_ in range(runs + 1):
            for name, requests in cases.items():
                for on, client in clients.items():
                    pid = servers[on][0].pid
                    began, began_cpu = time.perf_counter(), cpu_seconds(pid)
                    for url, params in requests:
                        response = client.get(url, params=params, timeout=120)
                        if response.status_code != 200:
                            raise SystemExit(f"{url} {params}: {response.status_code} {response.text[:300]}")
                    if round_:  # the first round warms up
                        times[on][name].append(time.perf_counter() - began)
                        cpu[on][name] += cpu_seconds(pid) - began_cpu
            print(f"  round {round_}/{runs}", file=sys.stderr)
    finally:
        for client in clients.values():
            client.close()
        for server, _ in servers.values():
            server.terminate()
            server.wait(timeout=30)
    return times, cpu


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--base", type=int, default=100_000, help="interactions generated, ingested, inspected")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20, help="timed rounds (each: every case, both servers)")
    parser.add_argument("--keep", type=Path, default=Path("/tmp/csqm-web-bench"), help="folder for the stores")
    parser.add_argument("--prepare-only", action="store_true", help="build the store and stop")
    args = parser.parse_args()
    scaled = prepare(args.keep, args.interactions, args.base, args.seed)
    if args.prepare_only:
        return
    token, cases, refresh_seconds = setup(args.keep, scaled)
    print(f"full rollup refresh: {refresh_seconds:.1f} s", file=sys.stderr)
    baseline = args.keep / "baseline-copy.duckdb"
    shutil.copyfile(scaled, baseline)  # each server needs its own file (DuckDB: one writer process)
    load_before = os.getloadavg()[0]
    times, cpu = measure(args.keep, (scaled, baseline), token, cases, args.runs)
    baseline.unlink()
    print(
        f"{args.interactions:,} interactions; full rollup refresh {refresh_seconds:.1f} s; load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores; {args.runs} rounds"
    )
    print(
        f"{'request':46} {'p50 ms':>7} {'p95 ms':>7} {'CPU ms':>7} | {'raw p50':>7} {'raw p95':>7} {'raw CPU':>7} | "
        f"{'p50 ratio':>9}"
    )
    for name in cases:
        f50, f95 = (percentile(times[True][name], q) * 1000 for q in (50, 95))
        s50, s95 = (percentile(times[False][name], q) * 1000 for q in (50, 95))
        fc, sc = (cpu[on][name] / args.runs * 1000 for on in (True, False))
        print(f"{name:46} {f50:7.0f} {f95:7.0f} {fc:7.0f} | {s50:7.0f} {s95:7.0f} {sc:7.0f} | {s50 / f50:8.1f}x")
    print("CPU ms: mean user + system time of the server process per request group (10 ms clock ticks)")


if __name__ == "__main__":
    main()
