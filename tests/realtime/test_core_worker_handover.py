"""A second worker joining mid-backlog: the first gives half its partitions up (after finishing what it
holds) and nothing waits for ``ack_wait`` on the way; the result equals a single in-process run."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from csqm.generate import generate
from csqm.realtime.engine import Outcome, Processor
from csqm.realtime.replay import load_schedule, stamped
from csqm.realtime.workers import Worker, WorkerStats
from csqm.settings import Settings
from csqm.store import Store, open_store
from tests.conftest import PG_URL
from tests.realtime.conftest import T0
from tests.realtime.test_core_nats_messages import _run
from tests.realtime.test_nats_workers import NATS_URL, _drop, _publish, _reference, _snapshot, ensure_nats


class _Paced(Processor):
    """A processor that takes at least 20 ms a batch, so that the backlog (about 100 batches of 16)
    lasts the second or two a second worker needs to start and be handed partitions, however fast
    the machine: on an idle fast one, the first worker had finished before the second joined."""

    def process(self, raw: Sequence[object], *, received_at: datetime | None = None) -> Outcome:
        time.sleep(0.02)
        return super().process(raw, received_at=received_at)


def _start(store: Store, settings: Settings, prefix: str, out: list[WorkerStats]) -> threading.Thread:
    worker = Worker(_Paced(store, settings=settings), url=NATS_URL, prefix=prefix, batch=16, ack_wait=60)
    thread = threading.Thread(target=lambda: out.append(asyncio.run(worker.run(idle_exit=3.0))))
    thread.start()
    return thread


@pytest.mark.slow
def test_second_worker_takes_over_half_without_waiting_for_ack_wait(
    pg: Store, settings: Settings, tmp_path: Path
) -> None:
    ensure_nats()
    generate(tmp_path / "demo", interactions=160, seed=9)
    events = [e for _, e in stamped(load_schedule(tmp_path / "demo", every=0.5), T0, speed=1.0)]
    unique = len({e["event_id"] for e in events})
    expected = _reference(events, settings, chunk=64)

    schema = pg.url.split("schema=")[1]
    Processor(pg, settings=settings)  # the tables, before the workers race to create them
    prefix = f"t{uuid.uuid4().hex[:10]}"
    _run(_publish(prefix, events, group=4))
    stores = [open_store(f"{PG_URL}?schema={schema}", settings=settings) for _ in range(2)]
    stats: list[WorkerStats] = []
    try:
        began = time.monotonic()
        first = _start(stores[0], settings, prefix, stats)
        while pg.scalar('SELECT count(*) FROM "realtime_events"') < unique // 10:
            assert time.monotonic() - began < 60
            time.sleep(0.02)
        second = _start(stores[1], settings, prefix, stats)
        while pg.scalar('SELECT count(*) FROM "realtime_events"') < unique:
            assert time.monotonic() - began < 90, "the backlog was not processed"
            time.sleep(0.05)
        elapsed = time.monotonic() - began
        first.join(30)
        second.join(30)
    finally:
        _run(_drop(prefix))
        for store in stores:
            store.close()
    assert elapsed < 45, f"something waited for ack_wait (60 s): {elapsed:.1f} s"
    assert len(stats) == 2 and all(s.failures == 0 and s.rejected == 0 for s in stats)
    assert min(s.accepted for s in stats) > 0, "the second worker should have taken partitions over"
    assert sum(s.accepted for s in stats) == unique
    got = _snapshot(pg)
    assert got[2] == expected[2]
    pd.testing.assert_frame_equal(got[0], expected[0])
    pd.testing.assert_frame_equal(got[1], expected[1])
