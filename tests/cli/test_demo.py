"""`csqm demo` end to end on the embedded store, and the demo data's privacy and idempotency."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from csqm.ingest import canonical_files, ingest_directory
from csqm.settings import Settings
from csqm.store import open_store
from tests.ingest.helpers import stored_text


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "CSQM_DATA_DIR": str(root / "data"), "CSQM_SECRET": "demo-secret-0123456789"}
    result = subprocess.run(
        [sys.executable, "-m", "csqm.cli.main", "demo", "--interactions", "400", "--seed", "5"],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (root / "stdout.txt").write_text(result.stdout + result.stderr, encoding="utf-8")
    return root


def test_demo_reports_what_it_loaded(demo_dir: Path) -> None:
    out = (demo_dir / "stdout.txt").read_text(encoding="utf-8")
    assert "400 interactions" in out
    assert "customers resolved from" in out
    with open_store(settings=Settings(data_dir=demo_dir / "data", secret="demo-secret-0123456789")) as store:
        assert store.count("interactions") == 400
        assert store.count("utterances") > 400 * 4
        assert store.count("quarantine") == 0


def test_demo_runs_a_test_call_quarter_and_the_improvement_loop(demo_dir: Path) -> None:
    out = " ".join((demo_dir / "stdout.txt").read_text(encoding="utf-8").split())
    assert re.search(r"Plan demo-\S+: (\d+) tasks scheduled; ([1-9]\d*) run by the robot tester", out), out[-3000:]
    assert re.search(r"Action A\d+: .+ Verification: (improved|no_change|worse) —", out), out[-3000:]
    with open_store(settings=Settings(data_dir=demo_dir / "data", secret="demo-secret-0123456789")) as store:
        tasks = store.count("testcall_tasks")
        robot = store.scalar("SELECT count(*) FROM testcall_results WHERE recorded_by = 'robot'")
        assert tasks > 0 and store.count("testcall_results") == tasks
        assert robot is not None and int(robot) > 0
        assert store.count("improvement_actions") >= 1
        assert store.count("improvement_verifications") >= 1


def _raw_identifiers(folder: Path) -> set[str]:
    values: set[str] = set()
    for _, path in canonical_files(folder):
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for field in ("customer_phone", "customer_email", "customer_name"):
                    if row.get(field):
                        values.add(row[field])
                for match in re.findall(r"(?<!\d)1[3-9]\d{9}(?!\d)|\d{17}[\dX]", row.get("text") or ""):
                    values.add(match)
    return values


def test_no_raw_personal_data_reaches_the_store(demo_dir: Path) -> None:
    raw = _raw_identifiers(demo_dir / "data" / "demo-input")
    assert len(raw) > 100
    with open_store(settings=Settings(data_dir=demo_dir / "data", secret="demo-secret-0123456789")) as store:
        text = stored_text(store)
    leaked = sorted(v for v in raw if len(v) >= 7 and v in text)
    assert leaked == []


def test_reingesting_the_demo_changes_nothing(demo_dir: Path) -> None:
    settings = Settings(data_dir=demo_dir / "data", secret="demo-secret-0123456789")
    with open_store(settings=settings) as store:
        summaries = ingest_directory(demo_dir / "data" / "demo-input", store=store, settings=settings)
    assert sum(s.inserted + s.updated for s in summaries) == 0
    assert sum(s.rejected for s in summaries) == 0
