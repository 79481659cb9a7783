"""PostgreSQL pipeline mode (``Store.pipelined``): a transaction of small appends, one by one and
pipelined, alone and beside a thread that runs Python without pause.

Why the second case: psycopg lets go of Python's interpreter lock while it waits for the server, and
a thread that wants the lock back waits for the holder to yield it, up to the switch interval (5 ms).
In the real-time server the HTTP loop and the background thread hold it meanwhile, so each wait of
the ingress can cost far more than the round trip. The spinning thread is the worst case of that.

Each transaction: BEGIN, ``--statements`` appends of 20 rows (``Store.load_arrow``: COPY one by
one, an INSERT of bound arrays pipelined), COMMIT; ``--rounds`` rounds alternate the two ways, and
the script prints the median per way and case and the ratio pipelined / one by one.

    .venv/bin/python -P benchmarks/pg_pipeline.py          # ~30 s; PostgreSQL on 127.0.0.1:5432
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import threading
import time
import uuid
from typing import Any

import pyarrow as pa

from csqm.store.postgres_store import PostgresStore

URL = "postgresql://127.0.0.1:5432/test"


def spin(stop: threading.Event) -> None:
    """Run Python without pause until ``stop``."""
    while not stop.is_set():
        sum(range(100))


def transaction(store: PostgresStore, statements: int, serial: list[int], piped: bool) -> float:
    """One transaction's wall time, ms."""
    began = time.perf_counter()
    with store.pipelined() if piped else contextlib.nullcontext(), store.transaction():
        for _ in range(statements):
            serial[0] += 1
            keys = [f"k{serial[0]}-{j}" for j in range(20)]
            store.load_arrow("bench_pipe", pa.table({"k": pa.array(keys), "v": pa.array(range(20), pa.int64())}))
    return (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=URL, help="PostgreSQL server (a scratch schema is made and dropped).")
    parser.add_argument("--statements", type=int, default=10, help="Appends per transaction.")
    parser.add_argument("--rounds", type=int, default=5, help="Rounds, each alternating both ways.")
    args = parser.parse_args()
    store = PostgresStore(f"{args.url}?schema=bench_pipe_{uuid.uuid4().hex[:8]}")
    store.execute('CREATE TABLE "bench_pipe" ("k" TEXT PRIMARY KEY, "v" BIGINT)')
    serial = [0]
    result: dict[str, Any] = {"statements": args.statements, "rounds": args.rounds}
    try:
        for case, per_round in (("alone", 100), ("beside_a_busy_thread", 8)):
            stop = threading.Event()
            if case != "alone":
                threading.Thread(target=spin, args=(stop,), daemon=True).start()
            times: dict[str, list[float]] = {"one_by_one": [], "pipelined": []}
            for _ in range(args.rounds):
                for way in times:
                    times[way] += [
                        transaction(store, args.statements, serial, way == "pipelined") for _ in range(per_round)
                    ]
            stop.set()
            medians = {way: round(statistics.median(t), 2) for way, t in times.items()}
            result[case] = {
                "median_ms": medians,
                "ratio_pipelined_to_one_by_one": round(medians["pipelined"] / medians["one_by_one"], 2),
            }
    finally:
        store.drop_schema()
        store.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
