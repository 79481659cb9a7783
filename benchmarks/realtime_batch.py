"""Real-time processing in process: what one batch costs on the embedded store, by statement.

No HTTP, no other thread: ``Processor.process`` on a fresh embedded DuckDB store, warmed up, fed the
benchmark's stream of generated conversations (queue, start, one event per turn, end) in batches of
``--batch`` events (160 by default, about what the ingress merges under load). Each round builds a
fresh store for every setting, in turn (so that the machine's noise falls on all of them alike):

- ``default``: DuckDB's own thread count (the cores), the baseline;
- ``threads_1``: one DuckDB thread, what ``csqm realtime serve --store-threads`` gives by default.

It prints, per setting, the median and p90 of the batch times over all rounds, the ratio of the
medians to the baseline's, and (``--statements``) the time per batch of each kind of statement, to
see where a batch goes. Ended conversations are inspected in the batch (the processor's default
when no background runs), as in the NATS workers; the HTTP server inspects them in its background
(``--queue-inspections``: queued for it, as the server does, and not inspected).

    .venv/bin/python -P benchmarks/realtime_batch.py                      # ~1 minute
    .venv/bin/python -P benchmarks/realtime_batch.py --rounds 5 --statements
    .venv/bin/python -P benchmarks/realtime_batch.py --batch 60 --queue-inspections     # as in the server
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from csqm.generate import generate
from csqm.realtime.replay import load_schedule, stamped

SETTINGS: dict[str, int | None] = {"default": None, "threads_1": 1}


def events_for(folder: Path, prefix: str, conversations: int) -> list[dict[str, Any]]:
    items = load_schedule(folder, every=0.05, prefix=prefix, limit=conversations)
    return [e for _, e in stamped(items, datetime.now(UTC).replace(tzinfo=None), speed=1000.0)]


@contextmanager
def statement_clock(spent: Counter[str], counts: Counter[str]) -> Iterator[None]:
    """Time every statement of the embedded store by its first words (``--statements``)."""
    from csqm.store.duckdb_store import DuckDBStore

    plain, reading, begin, commit = DuckDBStore._run, DuckDBStore.run_reading, DuckDBStore.begin, DuckDBStore.commit

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

    DuckDBStore._run, DuckDBStore.run_reading = timed(plain), timed(reading)  # type: ignore[method-assign]
    DuckDBStore.begin, DuckDBStore.commit = timed(begin, "BEGIN"), timed(commit, "COMMIT")  # type: ignore[method-assign]
    try:
        yield
    finally:
        DuckDBStore._run, DuckDBStore.run_reading = plain, reading  # type: ignore[method-assign]
        DuckDBStore.begin, DuckDBStore.commit = begin, commit  # type: ignore[method-assign]


def one_run(
    folder: Path, threads: int | None, stream: list[dict[str, Any]], batch: int, statements: bool, queued: bool
) -> tuple[list[float], Counter[str], Counter[str]]:
    """A fresh store, warmed up on other conversations, then ``stream`` in batches: their times (ms)."""
    from csqm.realtime.engine import Processor
    from csqm.settings import Settings
    from csqm.store import open_store

    data = Path(tempfile.mkdtemp(prefix="csqm-rt-batch-"))
    settings = Settings(data_dir=data, secret="benchmark-secret-0123456789")
    spent: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    took: list[float] = []
    with open_store(settings=settings) as store:
        if threads is not None:
            store.set_threads(threads)
        processor = Processor(store, settings=settings)
        processor.inline_inspection = not queued
        processor.process(events_for(folder, f"W{threads}-{time.time_ns()}-", 50))
        gc.collect()
        gc.freeze()  # as the server does after its warm-up
        with statement_clock(spent, counts) if statements else nullcontext():
            for i in range(0, len(stream), batch):
                began = time.perf_counter()
                processor.process(stream[i : i + batch])
                took.append((time.perf_counter() - began) * 1000)
        gc.unfreeze()
    return took, spent, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=1500, help="Conversations per run.")
    parser.add_argument("--batch", type=int, default=160, help="Events per batch.")
    parser.add_argument("--rounds", type=int, default=3, help="Runs of each setting, alternating.")
    parser.add_argument("--statements", action="store_true", help="Also time each kind of statement.")
    parser.add_argument(
        "--queue-inspections",
        action="store_true",
        help="Queue ended conversations for the background (as the HTTP server does) instead of inspecting them.",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="csqm-rt-batch-demo-"))
    generate(folder, interactions=int(args.conversations * 2.6) + 200, seed=17)
    times: dict[str, list[float]] = {name: [] for name in SETTINGS}
    medians: dict[str, list[float]] = {name: [] for name in SETTINGS}
    spent: dict[str, Counter[str]] = {name: Counter() for name in SETTINGS}
    counts: dict[str, Counter[str]] = {name: Counter() for name in SETTINGS}
    for r in range(args.rounds):
        for name, threads in SETTINGS.items():
            stream = events_for(folder, f"R{r}{name}-", args.conversations)
            took, s, c = one_run(folder, threads, stream, args.batch, args.statements, args.queue_inspections)
            times[name] += took
            medians[name].append(round(statistics.median(took), 1))
            spent[name].update(s)
            counts[name].update(c)
    batches = {name: len(t) for name, t in times.items()}
    base = statistics.median(times["default"])
    result: dict[str, Any] = {"batch_events": args.batch, "rounds": args.rounds, "queued": args.queue_inspections}
    for name, took in times.items():
        ordered = sorted(took)
        result[name] = {
            "batches": batches[name],
            "median_ms": round(statistics.median(took), 1),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
            "run_medians_ms": medians[name],
            "ratio_to_default": round(statistics.median(took) / base, 2),
        }
        if args.statements:
            result[name]["ms_per_batch_by_statement"] = {
                words: round(seconds * 1000 / batches[name], 2) for words, seconds in spent[name].most_common()
            }
            result[name]["statements_per_batch"] = round(sum(counts[name].values()) / batches[name], 1)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
