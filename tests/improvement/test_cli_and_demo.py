"""`csqm actions` end to end, and :func:`demo_loop` on the demo data with its planted problems."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from csqm.cli.main import cli
from csqm.improvement import demo_loop, list_findings
from csqm.improvement.tables import IMPROVEMENT_TABLES
from csqm.settings import Settings
from csqm.store import open_store

SECRET = "demo-secret-0123456789"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``csqm demo`` (5 000 interactions, the default size, seed 7): ingested and inspected, no findings yet
    (the demo's own improvement loop is cleared, so these tests start from an empty loop)."""
    root = tmp_path_factory.mktemp("improvement-demo")
    env = {**os.environ, "CSQM_DATA_DIR": str(root / "data"), "CSQM_SECRET": SECRET}
    result = subprocess.run(
        [sys.executable, "-m", "csqm.cli.main", "demo", "--interactions", "5000", "--seed", "7"],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    with open_store(settings=Settings(data_dir=root / "data", secret=SECRET)) as store:
        for table in IMPROVEMENT_TABLES:
            store.execute(f'DELETE FROM "{table.name}"')
    return root / "data"


@pytest.fixture
def data_dir(demo_data: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo store for one test."""
    copy = tmp_path / "data"
    shutil.copytree(demo_data, copy)
    return copy


def run(data_dir: Path, *args: str, ok: bool = True) -> Any:
    env = {"CSQM_DATA_DIR": str(data_dir), "CSQM_SECRET": SECRET}
    result = CliRunner().invoke(cli, ["actions", *args], env=env, catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    return result


def test_demo_loop_finds_the_planted_problems(data_dir: Path) -> None:
    with open_store(settings=Settings(data_dir=data_dir, secret=SECRET)) as store:
        loop = demo_loop(store)
        found = list_findings(store)
    # team T05's forbidden phrases (planted problem 1) and agent A2003's degradation (planted problem 4)
    forbidden = [f for f in found if f.scope_value == "T05" and f.metric == "forbidden_phrase_rate"]
    assert forbidden and loop.finding.scope_value == "T05"
    assert any(f.scope_value == "A2003" and f.source == "inspection" for f in found)
    assert any(f.scope_value == "A2003" and f.source == "kpi" for f in found)
    assert loop.action.status == "done" and loop.action.finding_id == loop.finding.finding_id
    # nothing was planted to improve after the action: the honest verdict is no change
    assert loop.verification is not None and loop.verification.verdict == "no_change"
    assert loop.training is not None and loop.training_verification is not None
    assert loop.training_verification.verdict in ("no_change", "worse")  # A2003 keeps degrading
    assert any("Verification: no_change" in line for line in loop.summary())


def test_cli_closed_loop(data_dir: Path) -> None:
    out = run(data_dir, "findings", "--detect", "--source", "inspection", "--format", "json").output
    findings = json.loads(out[out.index("[") :])
    t05 = next(f for f in findings if f["scope_value"] == "T05" and f["metric"] == "forbidden_phrase_rate")
    fid = t05["finding_id"]
    again = run(data_dir, "findings", "--detect", "--source", "inspection").output
    assert "0 new finding(s)" in again
    added = run(
        data_dir, "add", "Coach T05 on phrasing", "--finding", fid, "--owner", "王芳", "--department", "培训部",
        "--effective", "2026-02-23", "--due", "2026-03-01", "--root-cause", "No training; call 13812345678",
        "--by", "wang", "--format", "json",
    )  # fmt: skip
    action = json.loads(added.output)[0]
    aid = action["action_id"]
    assert (action["metric"], action["scope_value"], action["root_cause"]) == (
        "forbidden_phrase_rate", "T05", "No training; call 138****5678",
    )  # fmt: skip
    run(data_dir, "update", aid, "--status", "in_progress", "--note", "Two sessions", "--by", "li")
    overdue = json.loads(run(data_dir, "overdue", "--today", "2026-03-02", "--format", "json").output)
    assert [a["action_id"] for a in overdue] == [aid]
    assert json.loads(run(data_dir, "overdue", "--today", "2026-03-01", "--format", "json").output) == []
    verified = json.loads(run(data_dir, "verify", aid, "--format", "json").output)
    assert verified["verdict"] in ("improved", "no_change", "worse") and verified["test"] == "two_proportion_z"
    shown = json.loads(run(data_dir, "show", aid, "--format", "json").output)
    assert [(e["username"], e["kind"]) for e in shown["events"][:3]] == [
        ("wang", "created"), ("li", "status"), ("li", "progress"),
    ]  # fmt: skip
    assert shown["events"][3]["kind"] == "verified" and shown["events"][3]["new_value"] == verified["verdict"]
    listed = json.loads(run(data_dir, "list", "--status", "in_progress", "--format", "json").output)
    assert [a["action_id"] for a in listed] == [aid]
    needs = json.loads(run(data_dir, "training", "needs", "--agent", "A2003", "--format", "json").output)
    assert needs and all(n["agent_id"] == "A2003" for n in needs)
    training = run(data_dir, "training", "add", "Patience", "--agent", "A2003", "--on", "2026-02-16",
                   "--metric", "aht", "--trainer", "李老师", "--format", "json")  # fmt: skip
    tid = json.loads(training.output)[0]["action_id"]
    assert tid.startswith("T") and json.loads(training.output)[0]["team_id"] == "T02"
    assert [t["action_id"] for t in json.loads(run(data_dir, "training", "list", "--format", "json").output)] == [tid]
    tv = json.loads(run(data_dir, "verify", tid, "--format", "json").output)
    assert tv["scope_kind"] == "agent" and tv["scope_value"] == "A2003" and tv["test"] == "welch_t"


def test_cli_errors_are_one_sentence(data_dir: Path) -> None:
    bad = run(data_dir, "add", "x", "--metric", "nope", ok=False)
    assert "no metric 'nope'" in bad.output and "Traceback" not in bad.output
    assert "write the scope as DIMENSION=VALUE" in run(data_dir, "add", "x", "--scope", "T05", ok=False).output
    assert "no action or training record 'A09999'" in run(data_dir, "verify", "A09999", ok=False).output
    assert "Nothing to change" in run(data_dir, "update", "A00001", ok=False).output
    added = json.loads(run(data_dir, "add", "Later", "--metric", "aht", "--scope", "team=T01",
                           "--effective", "2099-01-01", "--format", "json").output)  # fmt: skip
    too_early = run(data_dir, "verify", added[0]["action_id"], ok=False).output
    assert "after window ends on 2099-01-28" in too_early
    assert "Give the trainee" in run(data_dir, "training", "add", "x", "--on", "2026-02-01", ok=False).output


def test_every_command_has_help() -> None:
    commands = ["", "findings", "add", "update", "list", "overdue", "verify", "show", "training", "training needs",
                "training add", "training list"]  # fmt: skip
    for command in commands:
        args = ["actions", *command.split()]
        result = CliRunner().invoke(cli, [*args, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, args
