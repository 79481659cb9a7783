"""Real-time processing in process: what one batch costs, by statement.

No HTTP: ``Processor.process`` on a fresh store, warmed up, fed the benchmark's stream of generated
conversations (queue, start, one event per turn, end) in batches of ``--batch`` events (160 by
default, about what the ingress merges under load). Each round builds a fresh store for every
setting, in turn (so that the machine's noise falls on all of them alike). The embedded store
(``--store duckdb``, the default):

- ``default``: DuckDB's own thread count (the cores), the baseline;
- ``threads_1``: one DuckDB thread, what ``csqm realtime serve --store-threads`` gives by default.

PostgreSQL (``--store postgres``, a scratch schema on 127.0.0.1:5432, dropped after):

- ``one_by_one``: each statement waits for its answer (``Store.pipelined`` switched off), the baseline;
- ``pipelined``: what the processor does, statements sent in a pipeline (csqm.store.postgres_store).

``--busy-thread`` runs a thread beside the batches that runs Python without pause: the worst case
of the server's HTTP loop and background thread holding the interpreter lock while the ingress
waits for its store.

It prints, per setting, the median and p90 of the batch times over all rounds, the ratio of the
medians to the baseline's, and (``--statements``) the time per batch of each kind of statement, to
see where a batch goes. Ended conversations are inspected in the batch (the processor's default
when no background runs), as in the NATS workers; the HTTP server inspects them in its background
(``--queue-inspections``: queued for it, as the server does, and not inspected).

    .venv/bin/python -P benchmarks/realtime_batch.py                      # ~1 minute
    .venv/bin/python -P benchmarks/realtime_batch.py --rounds 5 --statements
    .venv/bin/python -P benchmarks/realtime_batch.py --batch 60 --queue-inspections     # as in the server
    .venv/bin/python -P benchmarks/realtime_batch.py --store postgres --batch 60 --queue-inspections [--busy-thread]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from csqm.generate import generate
from csqm.realtime.replay import load_schedule, stamped

#: Per store, the settings compared: DuckDB threads (None: its default), or whether to pipeline.
SETTINGS: dict[str, dict[str, int | bool | None]] = {
    "duckdb": {"default": None, "threads_1": 1},
    "postgres": {"one_by_one": False, "pipelined": True},
}
PG_URL = "postgresql://127.0.0.1:5432/test"


def events_for(folder: Path, prefix: str, conversations: int) -> list[dict[str, Any]]:
    items = load_schedule(folder, every=0.05, prefix=prefix, limit=conversations)
    return [e for _, e in stamped(items, datetime.now(UTC).replace(tzinfo=None), speed=1000.0)]


@contextmanager
def statement_clock(spent: Counter[str], counts: Counter[str], engine: str) -> Iterator[None]:
    """Time every statement of the store by its first words (``--statements``)."""
    from csqm.store.duckdb_store import DuckDBStore
    from csqm.store.postgres_store import PostgresStore

    def timed(method: Callable[..., Any], words: str | None = None) -> Callable[..., Any]:
        """``method`` timed under ``words``, or the first three words of its SQL."""

        def call(self: Any, *args: Any) -> Any:
            began = time.perf_counter()
            try:
                return method(self, *args)
            finally:
                name = words or " ".join(args[0].split()[:3]).replace('"', "")
                spent[name] += time.perf_counter() - began
                counts[name] += 1

        return call

    def appended(method: Callable[..., Any]) -> Callable[..., Any]:
        def call(self: Any, name: str, data: Any) -> Any:
            began = time.perf_counter()
            try:
                return method(self, name, data)
            finally:
                spent[f"append {name}"] += time.perf_counter() - began
                counts[f"append {name}"] += 1

        return call

    cls: Any = DuckDBStore if engine == "duckdb" else PostgresStore
    names = ("_run", "run_reading") if engine == "duckdb" else ("execute", "query", "rows")
    saved = {n: getattr(cls, n) for n in (*names, "begin", "commit", "load_arrow")}
    for n in names:
        setattr(cls, n, timed(saved[n]))
    cls.begin, cls.commit = timed(saved["begin"], "BEGIN"), timed(saved["commit"], "COMMIT")
    if engine == "postgres":  # DuckDB's appends go through run_reading
        cls.load_arrow = appended(saved["load_arrow"])
        import psycopg

        sync = psycopg.Pipeline.sync

        def counted(self: Any) -> None:
            counts["(pipeline syncs)"] += 1
            sync(self)

        psycopg.Pipeline.sync = counted  # type: ignore[method-assign]
    try:
        yield
    finally:
        for n, method in saved.items():
            setattr(cls, n, method)
        if engine == "postgres":
            psycopg.Pipeline.sync = sync  # type: ignore[method-assign]


@contextmanager
def busy_thread(on: bool) -> Iterator[None]:
    """A thread that runs Python without pause meanwhile (``--busy-thread``)."""
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(100))

    thread = threading.Thread(target=spin, daemon=True)
    if on:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if on:
            thread.join()


@contextmanager
def fresh_store(engine: str, setting: int | bool | None, settings: Any) -> Iterator[Any]:
    """A fresh store with ``setting`` applied; PostgreSQL's scratch schema is dropped after."""
    from csqm.store import open_store
    from csqm.store.base import Store
    from csqm.store.postgres_store import PostgresStore

    if engine == "duckdb":
        with open_store(settings=settings) as store:
            if setting is not None:
                store.set_threads(int(setting))
            yield store
        return
    store = open_store(f"{PG_URL}?schema=bench_rt_{uuid.uuid4().hex[:10]}", settings=settings)
    pipelined = PostgresStore.pipelined
    if not setting:
        PostgresStore.pipelined = Store.pipelined  # type: ignore[method-assign]
    try:
        yield store
    finally:
        PostgresStore.pipelined = pipelined  # type: ignore[method-assign]
        store.drop_schema()  # type: ignore[attr-defined]
        store.close()


def one_run(
    folder: Path, engine: str, setting: int | bool | None, stream: list[dict[str, Any]], args: argparse.Namespace
) -> tuple[list[float], Counter[str], Counter[str]]:
    """A fresh store, warmed up on other conversations, then ``stream`` in batches: their times (ms)."""
    from csqm.realtime.engine import Processor
    from csqm.settings import Settings

    data = Path(tempfile.mkdtemp(prefix="csqm-rt-batch-"))
    settings = Settings(data_dir=data, secret="benchmark-secret-0123456789")
    spent: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    took: list[float] = []
    with fresh_store(engine, setting, settings) as store:
        processor = Processor(store, settings=settings)
        processor.inline_inspection = not args.queue_inspections
        processor.process(events_for(folder, f"W{setting}-{time.time_ns()}-", 50))
        gc.collect()
        gc.freeze()  # as the server does after its warm-up
        clock = statement_clock(spent, counts, engine) if args.statements else nullcontext()
        with clock, busy_thread(args.busy_thread):
            for i in range(0, len(stream), args.batch):
                began = time.perf_counter()
                processor.process(stream[i : i + args.batch])
                took.append((time.perf_counter() - began) * 1000)
        gc.unfreeze()
    return took, spent, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=sorted(SETTINGS), default="duckdb", help="The store (see above).")
    parser.add_argument("--conversations", type=int, default=1500, help="Conversations per run.")
    parser.add_argument("--batch", type=int, default=160, help="Events per batch.")
    parser.add_argument("--rounds", type=int, default=3, help="Runs of each setting, alternating.")
    parser.add_argument("--statements", action="store_true", help="Also time each kind of statement.")
    parser.add_argument(
        "--queue-inspections",
        action="store_true",
        help="Queue ended conversations for the background (as the HTTP server does) instead of inspecting them.",
    )
    parser.add_argument("--busy-thread", action="store_true", help="A thread running Python beside the batches.")
    args = parser.parse_args()
    compared = SETTINGS[args.store]
    baseline = next(iter(compared))
    folder = Path(tempfile.mkdtemp(prefix="csqm-rt-batch-demo-"))
    generate(folder, interactions=int(args.conversations * 2.6) + 200, seed=17)
    times: dict[str, list[float]] = {name: [] for name in compared}
    medians: dict[str, list[float]] = {name: [] for name in compared}
    spent: dict[str, Counter[str]] = {name: Counter() for name in compared}
    counts: dict[str, Counter[str]] = {name: Counter() for name in compared}
    for r in range(args.rounds):
        for name, setting in compared.items():
            stream = events_for(folder, f"R{r}{name}-", args.conversations)
            took, s, c = one_run(folder, args.store, setting, stream, args)
            times[name] += took
            medians[name].append(round(statistics.median(took), 1))
            spent[name].update(s)
            counts[name].update(c)
    batches = {name: len(t) for name, t in times.items()}
    base = statistics.median(times[baseline])
    result: dict[str, Any] = {
        "store": args.store,
        "batch_events": args.batch,
        "rounds": args.rounds,
        "queued": args.queue_inspections,
        "busy_thread": args.busy_thread,
    }
    for name, took in times.items():
        ordered = sorted(took)
        result[name] = {
            "batches": batches[name],
            "median_ms": round(statistics.median(took), 1),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
            "run_medians_ms": medians[name],
            f"ratio_to_{baseline}": round(statistics.median(took) / base, 2),
        }
        if args.statements:
            result[name]["ms_per_batch_by_statement"] = {
                words: round(seconds * 1000 / batches[name], 2) for words, seconds in spent[name].most_common()
            }
            syncs = counts[name].pop("(pipeline syncs)", 0)
            result[name]["statements_per_batch"] = round(sum(counts[name].values()) / batches[name], 1)
            if args.store == "postgres":  # one by one, each statement waits for its answer
                waits = syncs if compared[name] else sum(counts[name].values())
                result[name]["waits_for_the_server_per_batch"] = round(waits / batches[name], 1)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
