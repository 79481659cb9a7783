"""The csqm command: help everywhere, one-sentence errors, --debug tracebacks, a busy store explained."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from csqm.cli.main import cli


def _commands() -> list[str]:
    return sorted(cli.commands)


@pytest.mark.parametrize("name", _commands())
def test_every_subcommand_has_help(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    command = cli.commands[name]
    assert command.help and command.help.strip()
    assert "Usage:" in result.output


def test_top_level_help_lists_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in _commands():
        assert name in result.output


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"CSQM_DATA_DIR": str(tmp_path / "data"), "CSQM_SECRET": "s" * 20, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "csqm.cli.main", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_errors_are_one_sentence_without_traceback(tmp_path: Path) -> None:
    result = _run(tmp_path, "ingest", "interactions", str(tmp_path / "missing.csv"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip() and "ingest" not in line]
    assert lines == [f"Error: No such file: {tmp_path / 'missing.csv'}."]


def test_debug_flag_shows_the_traceback(tmp_path: Path) -> None:
    result = _run(tmp_path, "--debug", "ingest", "interactions", str(tmp_path / "missing.csv"))
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "IngestError" in result.stderr


def test_unknown_kind_is_a_usage_style_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    result = _run(tmp_path, "ingest", "calls", str(path))
    assert result.returncode == 1
    assert "Unknown data kind 'calls'" in result.stderr


def test_ingest_json_summary_and_status(tmp_path: Path) -> None:
    path = tmp_path / "agents.csv"
    path.write_text("agent_id,team_id,name,role\na1,t1,王芳,专家\na2,t1,李雷,unknown-role\n", encoding="utf-8")
    result = _run(tmp_path, "ingest", "agents", str(path), "--json")
    assert result.returncode == 0, result.stderr
    import json

    [summary] = json.loads(result.stdout[result.stdout.index("[") :])
    assert (summary["inserted"], summary["rejected"]) == (1, 1)
    status = _run(tmp_path, "status")
    assert status.returncode == 0 and "agents" in status.stderr + status.stdout


def test_demo_replay_needs_the_console(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "demo", "--replay", "10", "--no-serve"])
    assert result.exit_code == 2
    assert "--replay streams to the console" in result.output
    assert not (tmp_path / "demo-input").exists()  # refused before generating anything
