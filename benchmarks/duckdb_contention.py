"""The embedded store under the real-time server's conditions: statements beside busy Python threads,
and what a checkpoint costs as keyed tables grow. Explains the embedded store's alert tail
(docs/benchmarks.md, session 7); DuckDB alone, no CSQM code.

1. **Statements beside a busy thread.** The server's ingress commits on one thread while the event
   loop parses requests and the background inspects ended conversations on others, all sharing
   Python's interpreter lock (GIL). DuckDB's Python binding releases the lock while a statement
   runs and takes it back several times per statement; each time another thread holds it, the
   statement waits until that thread lets go (at most the switch interval, 5 ms by default). Each
   kind of statement the ingress runs is timed alone (the baseline) and beside a thread that runs
   Python without pause; the ratio, and the number of times the lock was waited for
   (the added time over the switch interval), are printed.
2. **Checkpoints.** DuckDB writes its WAL into the database file every 16 MB (a checkpoint), and
   holds every other connection's commits meanwhile. After 5,000 new rows, a table whose primary key
   is a random text id (as an event id) against the same table without the key (the baseline), at
   two sizes.

    .venv/bin/python -P benchmarks/duckdb_contention.py          # ~1 minute
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

ROWS = 40  # about what one statement of a real-time batch writes


class Spinner:
    """A thread that runs Python without pause (while running)."""

    def __init__(self) -> None:
        self.running = False
        self._thread: threading.Thread | None = None

    def _spin(self) -> None:
        x = 0
        while self.running:
            for i in range(100):
                x += i

    def __enter__(self) -> Spinner:
        self.running = True
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        if self._thread is not None:
            self._thread.join()


def statements(rounds: int) -> dict[str, Any]:
    """Median ms of each kind of statement, alone and beside a :class:`Spinner`."""
    con = duckdb.connect(str(Path(tempfile.mkdtemp(prefix="csqm-contention-")) / "x.db"))
    con.execute("SET threads = 1")  # as `csqm realtime serve` runs it
    con.execute("CREATE TABLE t (id VARCHAR PRIMARY KEY, a BIGINT, b DOUBLE, s VARCHAR)")
    counter = iter(range(10**9))

    def columns() -> list[list[Any]]:
        ids = [f"k{next(counter)}" for _ in range(ROWS)]
        return [ids, list(range(ROWS)), [0.5] * ROWS, ["您好，请问有什么可以帮您"] * ROWS]

    def scan(c: list[list[Any]]) -> None:  # how the store writes: an Arrow table read in place
        names, types = ("id", "a", "b", "s"), (pa.string(), pa.int64(), pa.float64(), pa.string())
        _source = pa.table({n: pa.array(v, t) for n, v, t in zip(names, c, types, strict=True)})
        con.execute("INSERT INTO t SELECT * FROM _source")

    def unnest(c: list[list[Any]]) -> None:  # the columns bound as lists
        lists = ", ".join(f"UNNEST(?::{t}[])" for t in ("VARCHAR", "BIGINT", "DOUBLE", "VARCHAR"))
        sql = f"INSERT INTO t SELECT {lists}"
        con.execute(sql, c)

    kinds: dict[str, Callable[[list[list[Any]]], None]] = {
        "select_1": lambda c: con.execute("SELECT 1").fetchall() and None,
        "insert_arrow_scan": scan,
        "insert_unnest_lists": unnest,
    }
    times: dict[str, dict[str, list[float]]] = {"alone": {}, "beside_busy_thread": {}}
    for setting, runs in (("alone", rounds * 5), ("beside_busy_thread", rounds)):
        with Spinner() if setting != "alone" else nullcontext():
            for _ in range(runs):
                for name, kind in kinds.items():
                    c = columns()
                    con.execute("BEGIN")
                    began = time.perf_counter()
                    kind(c)
                    wrote = time.perf_counter()
                    con.execute("COMMIT")
                    done = time.perf_counter()
                    times[setting].setdefault(name, []).append((wrote - began) * 1000)
                    times[setting].setdefault("commit", []).append((done - wrote) * 1000)
    con.close()
    interval_ms = sys.getswitchinterval() * 1000
    out: dict[str, Any] = {"rows_per_insert": ROWS, "switch_interval_ms": interval_ms}
    for name in times["alone"]:
        alone = statistics.median(times["alone"][name])
        busy = statistics.median(times["beside_busy_thread"][name])
        out[name] = {
            "alone_ms": round(alone, 2),
            "beside_busy_thread_ms": round(busy, 1),
            "ratio": round(busy / alone, 1),
            "lock_waits": round((busy - alone) / interval_ms, 1),
        }
    return out


def checkpoints(sizes: list[int], rounds: int) -> dict[str, Any]:
    """Median ms of a CHECKPOINT after 5,000 new rows, with and without a text primary key."""
    out: dict[str, Any] = {}
    for size in sizes:
        medians = {}
        for keyed in (False, True):
            con = duckdb.connect(str(Path(tempfile.mkdtemp(prefix="csqm-checkpoint-")) / "x.db"))
            con.execute("SET threads = 1")
            key = "PRIMARY KEY" if keyed else ""
            con.execute(f"CREATE TABLE ev (event_id VARCHAR {key}, subject_id VARCHAR, seq BIGINT, occurred TIMESTAMP)")
            fill = f"SELECT md5(i::VARCHAR), 'c' || (i // 10), i % 10, now() FROM range({int(size)}) t(i)"
            con.execute(f"INSERT INTO ev {fill}")
            con.execute("CHECKPOINT")
            took = []
            for r in range(rounds):
                first = size + r * 5000
                con.execute(f"INSERT INTO ev SELECT md5((i + {first})::VARCHAR), 'x', 1, now() FROM range(5000) t(i)")
                began = time.perf_counter()
                con.execute("CHECKPOINT")
                took.append((time.perf_counter() - began) * 1000)
            con.close()
            medians["text_primary_key" if keyed else "no_key"] = round(statistics.median(took), 1)
        medians["ratio"] = round(medians["text_primary_key"] / medians["no_key"], 1)
        out[f"{size}_rows"] = medians
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30, help="Timed statements of each kind beside the thread.")
    parser.add_argument("--checkpoint-rounds", type=int, default=7, help="Checkpoints timed per table.")
    parser.add_argument("--sizes", default="100000,1000000", help="Rows of the tables checkpointed.")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    result = {
        "duckdb": duckdb.__version__,
        "statements": statements(args.rounds),
        "checkpoint_after_5000_new_rows_ms": checkpoints(sizes, args.checkpoint_rounds),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
