"""A batch is atomic: killing or interrupting an ingest mid-file leaves the store as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from csqm.ingest import ingest_file
from csqm.settings import Settings
from csqm.store import open_store
from tests.ingest.helpers import HEADER, write

ROWS = 1_500_000


def _big_utterances(path: Path) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("interaction_id,seq,speaker,text\n")
        for i in range(ROWS):
            fh.write(f"i{i // 10},{i % 10 + 1},{'customer' if i % 2 else 'agent'},您好，请问订单{i}号什么时候发货\n")


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "utterances.csv"
    _big_utterances(path)
    return path


def _start(settings: Settings, path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CSQM_DATA_DIR": str(settings.data_dir), "CSQM_SECRET": str(settings.secret)}
    return subprocess.Popen(
        [sys.executable, "-m", "csqm.cli.main", "ingest", "utterances", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_until_ingesting(proc: subprocess.Popen[bytes], store_file: Path, timeout: float = 120.0) -> None:
    """Until the child holds the store file open (its imports are done and the batch has begun), so a
    slow start on a loaded machine cannot turn the interruption into one of the interpreter's start-up."""
    deadline = time.monotonic() + timeout
    fds = Path(f"/proc/{proc.pid}/fd")
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if any(Path(os.readlink(fd)) == store_file for fd in fds.iterdir()):
                return
        except OSError:
            pass  # a descriptor closed while we looked
        time.sleep(0.05)
    raise AssertionError("the ingest never opened the store")


def _seed_existing(tmp_path: Path, settings: Settings) -> None:
    row = "i1,phone,2026-01-05 09:00:00,,,,a1,,x"
    with open_store(settings=settings) as store:
        ingest_file(write(tmp_path / "first.csv", [HEADER, row]), "interactions", store=store, settings=settings)


@pytest.mark.slow
@pytest.mark.parametrize(("how", "after"), [(signal.SIGKILL, 1.0), (signal.SIGKILL, 4.0), (signal.SIGINT, 2.0)])
def test_interrupted_ingest_leaves_no_partial_batch_and_rerun_completes(
    tmp_path: Path, settings: Settings, big_file: Path, how: signal.Signals, after: float
) -> None:
    _seed_existing(tmp_path, settings)
    proc = _start(settings, big_file)
    _wait_until_ingesting(proc, (Path(settings.data_dir) / "csqm.duckdb").resolve())
    time.sleep(after)
    assert proc.poll() is None, "ingest finished before it could be interrupted; make the file bigger"
    proc.send_signal(how)
    _, err = proc.communicate(timeout=60)
    if how == signal.SIGINT:
        assert proc.returncode == 130
        assert b"rolled back" in err
    with open_store(settings=settings) as store:
        assert store.count("utterances") == 0
        assert store.count("interactions") == 1
        assert store.count("ingest_batches") == 1
        summary = ingest_file(big_file, "utterances", store=store, settings=settings)
        assert summary.inserted == ROWS
        assert store.count("utterances") == ROWS
