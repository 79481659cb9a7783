"""Ingest benchmark: N interactions + ~10 N utterances, with validation, masking and identity linking.

Measures, in one run on the same data:
- the pipeline (``csqm.ingest``) end to end into a fresh embedded DuckDB store, in a child process
  so its peak memory is its own: rows/s for interactions and utterances, peak RSS;
- baselines over a sample of the utterances, median of ``--runs`` runs:
  * end to end row by row: the same validation and masking in plain Python, each row inserted with
    ``executemany`` into a DuckDB table — what a straightforward importer does;
  * validation and masking only, row by row (no reading, no storing): a lower bound on the
    per-row work, to show where the pipeline's time goes.

    .venv/bin/python benchmarks/ingest.py                      # 1M interactions (~10M utterances)
    .venv/bin/python benchmarks/ingest.py --interactions 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq

CHILD = """
import json, sys, time
from pathlib import Path
from csqm.ingest import ingest_file
from csqm.settings import Settings
from csqm.store import open_store
folder, data = Path(sys.argv[1]), Path(sys.argv[2])
settings = Settings(data_dir=data, secret="benchmark-secret-0123456789")
out = {}
with open_store(settings=settings) as store:
    for kind in ("agents", "customers", "interactions", "utterances"):
        start = time.perf_counter()
        s = ingest_file(folder / f"{kind}.parquet", kind, store=store, settings=settings)
        out[kind] = {"seconds": time.perf_counter() - start, "rows": s.rows_read, "inserted": s.inserted,
                     "rejected": s.rejected}
print(json.dumps(out))
"""


def run_pipeline(folder: Path, data: Path) -> tuple[dict[str, dict[str, float]], float]:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(data)], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(proc.stderr)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return json.loads(proc.stdout.strip().splitlines()[-1]), peak_kb / 1024 / 1024


def _validate_and_mask(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    """Row-by-row validation and masking in plain Python."""
    from csqm.privacy import Masker

    masker = Masker(b"benchmark-secret-0123456789")
    shanghai, utc = ZoneInfo("Asia/Shanghai"), ZoneInfo("UTC")
    speakers = {"customer", "agent", "bot", "system"}
    kept = []
    for row in rows:
        seq = int(str(row["seq"]))
        speaker = str(row["speaker"]).strip().lower()
        if seq < 0 or speaker not in speakers:
            continue
        spoken = row["spoken_at"]
        stamp = spoken if isinstance(spoken, datetime) else datetime.fromisoformat(str(spoken))
        stamp = stamp.replace(tzinfo=shanghai).astimezone(utc).replace(tzinfo=None)
        text = row["text"]
        if isinstance(text, str) and len(text) > 100_000:
            continue
        masked, kinds = masker.mask_text(text if isinstance(text, str) else None)
        offset = row["offset_seconds"]
        kept.append((row["interaction_id"], seq, speaker, stamp, offset, masked, ",".join(kinds) or None))
    return kept


def baseline_checks(rows: list[dict[str, object]]) -> float:
    start = time.perf_counter()
    _validate_and_mask(rows)
    return len(rows) / (time.perf_counter() - start)


def baseline_end_to_end(path: Path, sample: int) -> float:
    """Read, validate, mask and insert row by row into DuckDB; returns rows/s."""
    import duckdb

    start = time.perf_counter()
    rows = pq.read_table(path).slice(0, sample).to_pylist()
    kept = _validate_and_mask(rows)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE u (interaction_id VARCHAR, seq BIGINT, speaker VARCHAR, spoken_at TIMESTAMP, "
        "offset_seconds DOUBLE, text VARCHAR, pii_kinds VARCHAR, PRIMARY KEY (interaction_id, seq))"
    )
    con.executemany("INSERT INTO u VALUES (?, ?, ?, ?, ?, ?, ?)", kept)
    con.close()
    return len(rows) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=200_000, help="utterances for the row-by-row baseline")
    parser.add_argument("--runs", type=int, default=3, help="baseline runs (median reported)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    from csqm.generate import generate

    with tempfile.TemporaryDirectory(prefix="csqm-bench-") as tmp:
        folder = Path(tmp) / "input"
        started = time.perf_counter()
        generate(folder, interactions=args.interactions, seed=args.seed, fmt="parquet")
        print(f"generated {args.interactions:,} interactions in {time.perf_counter() - started:.1f} s")
        results, peak_gb = run_pipeline(folder, Path(tmp) / "data")
        sample = pq.read_table(folder / "utterances.parquet").slice(0, args.sample).to_pylist()
        checks = statistics.median(baseline_checks(sample) for _ in range(args.runs))
        e2e_sample = min(args.sample, 10_000)
        e2e = statistics.median(
            baseline_end_to_end(folder / "utterances.parquet", e2e_sample) for _ in range(args.runs)
        )
    utt = results["utterances"]
    inter = results["interactions"]
    total_rows = sum(r["rows"] for r in results.values())
    total_s = sum(r["seconds"] for r in results.values())
    pipeline_rate = utt["rows"] / utt["seconds"]
    print(f"{'step':<14}{'rows':>12}{'seconds':>10}{'rows/s':>12}")
    for kind, r in results.items():
        print(f"{kind:<14}{int(r['rows']):>12,}{r['seconds']:>10.1f}{r['rows'] / r['seconds']:>12,.0f}")
    print(f"{'all':<14}{int(total_rows):>12,}{total_s:>10.1f}{total_rows / total_s:>12,.0f}")
    print(f"peak memory of the ingest process: {peak_gb:.2f} GB")
    print(f"baseline end to end, row by row ({e2e_sample:,} utterances, median of {args.runs}): {e2e:,.0f} rows/s")
    print(f"baseline validation+masking only ({args.sample:,} utterances, median of {args.runs}): {checks:,.0f} rows/s")
    print(f"utterances: pipeline {pipeline_rate:,.0f} rows/s = {pipeline_rate / e2e:.1f}x the end-to-end baseline")
    print(f"interactions: pipeline {inter['rows'] / inter['seconds']:,.0f} rows/s (with identity linking)")


if __name__ == "__main__":
    main()
