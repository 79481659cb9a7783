"""Reading a chunk's conversations back on PostgreSQL, with the temporary id table analysed (what
``csqm.inspection.storage.fetch`` does) against the same on a connection whose temporary table is
never analysed (the baseline: what it did before), as the store grows.

    .venv/bin/python -P benchmarks/pg_read_back.py                        # ~1 min
    .venv/bin/python -P benchmarks/pg_read_back.py --sizes 100000 1000000 --chunk 50 --rounds 15

For each size, a fresh schema gets that many utterances (10 per conversation, made by the server),
then ``--rounds`` chunks of ``--chunk`` random conversations are read both ways, alternating; the
medians (ms per chunk, the temporary table's filling included) and their ratio are printed as JSON.
Needs the PostgreSQL server (``CSQM_TEST_PG_URL``, default the local test database).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
import uuid
from typing import Any

from csqm.inspection import storage
from csqm.store import open_store
from csqm.web.tables import ensure_tables

PG_URL = os.environ.get("CSQM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def measure(size: int, chunk: int, rounds: int) -> dict[str, Any]:
    schema = f"csqm_bench_rb_{uuid.uuid4().hex[:8]}"
    store = open_store(f"{PG_URL}?schema={schema}")
    # The baseline: temporary tables belong to their connection, and this one's is never analysed
    # (statistics, once taken, stay with a table).
    blind = store.another_connection()
    blind.analyze = lambda name: None  # type: ignore[method-assign]
    try:
        ensure_tables(store)
        conversations = size // 10
        store.execute(
            'INSERT INTO "interactions" ("interaction_id", "channel", "language", "offered_at") '
            "SELECT 'C' || i, 'chat', 'zh', TIMESTAMP '2026-03-02 09:00' FROM generate_series(0, ?) AS i",
            [conversations - 1],
        )
        store.execute(
            'INSERT INTO "utterances" ("interaction_id", "seq", "speaker", "text") '
            "SELECT 'C' || (i / 10), i % 10 + 1, 'customer', repeat('您好，我想问一下订单', 4) "
            "FROM generate_series(0, ?) AS i",
            [size - 1],
        )
        store.analyze("interactions")
        store.analyze("utterances")
        rng = random.Random(size)
        times: dict[str, list[float]] = {"without_statistics": [], "analysed": []}
        for _ in range(rounds):
            ids = [f"C{i}" for i in rng.sample(range(conversations), chunk)]
            for name, conn in (("without_statistics", blind), ("analysed", store)):
                with conn.transaction():
                    began = time.perf_counter()
                    rows = len(storage.fetch(conn, ids)[1])
                    times[name].append((time.perf_counter() - began) * 1000)
                assert rows == 10 * chunk, rows
        base, now = (statistics.median(times[k]) for k in ("without_statistics", "analysed"))
        return {
            "utterances": size,
            "chunk": chunk,
            "without_statistics_ms": round(base, 2),
            "analysed_ms": round(now, 2),
            "ratio": round(now / base, 4),
        }
    finally:
        blind.close()
        store.drop_schema()  # type: ignore[attr-defined]
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30_000, 300_000, 1_000_000], help="Utterances.")
    parser.add_argument("--chunk", type=int, default=50, help="Conversations read per chunk.")
    parser.add_argument("--rounds", type=int, default=11, help="Chunks read each way (medians are printed).")
    args = parser.parse_args()
    print(json.dumps([measure(size, args.chunk, args.rounds) for size in args.sizes], indent=2))


if __name__ == "__main__":
    main()
