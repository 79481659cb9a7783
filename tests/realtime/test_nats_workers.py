"""NATS JetStream workers on PostgreSQL: two share the load; one is SIGKILLed mid-stream; nothing is
lost, nothing duplicated, and the results equal a single in-process run of the same events."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pytest

from csqm.generate import generate
from csqm.realtime.engine import Processor
from csqm.realtime.replay import load_schedule, stamped
from csqm.realtime.workers import ensure_stream, publish, stream_name
from csqm.settings import Settings
from csqm.store import Store, open_store
from tests.conftest import IN_CI, PG_URL, ROOT
from tests.realtime.conftest import T0

T = TypeVar("T")

NATS_URL = "nats://127.0.0.1:4222"
CSQM = str(Path(sys.executable).with_name("csqm"))


def _nats_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 4222), timeout=2).close()
        return True
    except OSError:
        return False


def ensure_nats() -> None:
    """Start NATS (scripts/ensure-services.sh) when it is down; fail loudly if it cannot be reached."""
    if _nats_up():
        return
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "ensure-services.sh")], check=False, capture_output=True, timeout=180
    )
    if not _nats_up():
        pytest.fail(f"NATS is not reachable at {NATS_URL} and could not be started (CI={IN_CI})")


async def _publish(prefix: str, events: list[dict[str, object]], group: int = 1) -> None:
    import nats

    nc = await nats.connect(NATS_URL)
    try:
        js = nc.jetstream()
        await ensure_stream(js, prefix)
        await publish(js, prefix, events, group=group)
    finally:
        await nc.drain()


async def _drop(prefix: str) -> None:
    import nats

    nc = await nats.connect(NATS_URL)
    try:
        await nc.jetstream().delete_stream(stream_name(prefix))
    finally:
        await nc.drain()


def _worker(schema: str, prefix: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CSQM_STORE_URL": f"{PG_URL}?schema={schema}", "CSQM_SECRET": "test-secret-0123456789abcdef"}
    return subprocess.Popen(
        [CSQM, "realtime", "worker", "--nats", NATS_URL, "--prefix", prefix, "--batch", "16", "--ack-wait", "2"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _reference(
    events: list[dict[str, Any]], settings: Settings, *, chunk: int
) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[str, str]]]:
    """The :func:`_snapshot` of ``events`` processed in one process, in order, ``chunk`` at a time,
    on a schema of its own (dropped afterwards): what the workers must end up with."""
    ref = open_store(f"{PG_URL}?schema=csqm_t_{uuid.uuid4().hex[:10]}", settings=settings)
    try:
        proc = Processor(ref, settings=settings)
        for i in range(0, len(events), chunk):
            assert proc.process(events[i : i + chunk]).errors == []
        return _snapshot(ref)
    finally:
        ref.drop_schema()  # type: ignore[attr-defined]
        ref.close()


def _snapshot(store: Store) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[str, str]]]:
    results = store.query(
        'SELECT "interaction_id", "scope_digest", "score", "passed", "fatal_count", "finding_count" '
        'FROM "inspection_results" ORDER BY 1'
    )
    findings = store.query(
        'SELECT "interaction_id", "finding_no", "rule_id", "seq", "span_start", "evidence", "deduction" '
        'FROM "inspection_findings" ORDER BY 1, 2'
    )
    alerts = store.query('SELECT "subject_id", "kind" FROM "realtime_alerts" ORDER BY 1, 2')
    return results, findings, list(zip(alerts["subject_id"], alerts["kind"], strict=True))


def _run_async(fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """Run a coroutine on a fresh loop in its own thread: an earlier test in the same worker may have
    left this thread's event loop marked as running, which makes ``asyncio.run`` refuse."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(fn(*args))).result()


@pytest.mark.slow
def test_killed_worker_loses_nothing_and_duplicates_no_alert(pg: Store, settings: Settings, tmp_path: Path) -> None:
    ensure_nats()
    out = tmp_path / "demo"
    generate(out, interactions=80, seed=5)
    events = [e for _, e in stamped(load_schedule(out, every=0.5), T0, speed=1.0)]
    unique = len({e["event_id"] for e in events})

    # the reference: the same events in one process, in order, on another schema
    expected = _reference(events, settings, chunk=50)
    assert len(expected[2]) >= 3, "the demo data should raise some alerts"

    schema = pg.url.split("schema=")[1]
    Processor(pg, settings=settings)  # create the tables before the workers race to
    prefix = f"t{uuid.uuid4().hex[:10]}"
    _run_async(_publish, prefix, events)
    workers = [_worker(schema, prefix, tmp_path / f"w{i}.log") for i in range(2)]
    try:
        deadline = time.monotonic() + 60
        while pg.scalar('SELECT count(*) FROM "realtime_events"') < unique // 4:
            assert time.monotonic() < deadline, (tmp_path / "w0.log").read_text()[-2000:]
            time.sleep(0.02)
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(10)
        at_kill = pg.scalar('SELECT count(*) FROM "realtime_events"')
        assert at_kill < unique, "the kill must happen mid-stream"
        deadline = time.monotonic() + 90
        while pg.scalar('SELECT count(*) FROM "realtime_events"') < unique:
            assert workers[1].poll() is None, (tmp_path / "w1.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the surviving worker did not finish the stream"
            time.sleep(0.1)
        time.sleep(2.5)  # let redeliveries of already-stored events come back and be dropped
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
                try:
                    w.wait(15)
                except subprocess.TimeoutExpired:
                    w.kill()
        _run_async(_drop, prefix)
    got = _snapshot(pg)
    assert pg.scalar('SELECT count(*) FROM "realtime_events"') == unique
    missing, extra = set(expected[2]) - set(got[2]), set(got[2]) - set(expected[2])
    assert got[2] == expected[2], (missing, extra)  # same alerts, none twice
    assert len(set(got[2])) == len(got[2])
    pd.testing.assert_frame_equal(got[0], expected[0])
    pd.testing.assert_frame_equal(got[1], expected[1])
    assert "Worker stopped" in (tmp_path / "w1.log").read_text()
