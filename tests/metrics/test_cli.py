"""``csqm metrics`` through click, on the embedded store."""

from __future__ import annotations

import json
from pathlib import Path

import click
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from csqm.cli.context import AppContext
from csqm.cli.main import CsqmGroup
from csqm.metrics.cli import metrics
from csqm.settings import Settings
from csqm.store import open_store
from tests.metrics.helpers import load, ts


@click.group(cls=CsqmGroup)
@click.pass_context
def cli(ctx: click.Context) -> None:
    ctx.obj = ctx.obj or AppContext()


cli.add_command(metrics)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CSQM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CSQM_SECRET", "s" * 20)
    monkeypatch.delenv("CSQM_METRICS_DIR", raising=False)
    monkeypatch.delenv("CSQM_STORE_URL", raising=False)
    settings = Settings.from_env()
    with open_store(settings=settings) as store:
        rows = []
        for n, (team, channel, wait) in enumerate([("T1", "phone", 10), ("T1", "phone", 30), ("T2", "chat", 5)]):
            at = ts("2026-03-02 02:00")
            rows.append(
                {
                    "interaction_id": f"i{n}",
                    "team_id": team,
                    "channel": channel,
                    "direction": "inbound",
                    "offered_at": at,
                    "answered_at": ts(f"2026-03-02 02:00:{wait:02d}"),
                    "talk_seconds": 100.0 * (n + 1),
                }
            )
        load(store, {"interactions": rows})
    return tmp_path / "data"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["metrics", *args], obj=AppContext())


def test_list_shows_the_catalogue_with_definitions(data_dir: Path) -> None:
    result = run("--list", "--format", "json")
    assert result.exit_code == 0, result.output
    listing = {m["metric"]: m for m in json.loads(result.output)}
    assert listing["service_level"]["name"] == "服务水平"
    assert "threshold_seconds" in listing["service_level"]["definition"]
    assert run("--list").exit_code == 0


def test_by_team_and_week_as_csv(data_dir: Path) -> None:
    result = run(
        "service_level",
        "aht",
        "--by",
        "team",
        "--grain",
        "week",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("metric,period,team,value,numerator,denominator,sample_size")
    assert "service_level,2026-03-02" in result.output


def test_table_output_with_a_filter(data_dir: Path) -> None:
    result = run("aht", "--by", "channel", "--where", "channel=phone")
    assert result.exit_code == 0, result.output
    assert "平均处理时长" in result.output and "150.0 s" in result.output


def test_xlsx_needs_an_output_and_writes_one(data_dir: Path, tmp_path: Path) -> None:
    assert run("aht", "--format", "xlsx").exit_code == 1
    path = tmp_path / "kpi.xlsx"
    result = run("aht", "--by", "team", "--format", "xlsx", "--output", str(path))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None and sheet.cell(1, 1).value == "metric" and sheet.max_row == 3


def test_an_unsupported_dimension_is_one_clear_error(data_dir: Path) -> None:
    result = run("attrition", "--by", "channel")
    assert result.exit_code == 1
    assert "attrition cannot be broken down or filtered by channel" in result.output


def test_all_metrics_skip_those_without_the_dimension_and_say_so(data_dir: Path) -> None:
    result = run("--by", "channel", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "Skipped attrition: cannot be broken down or filtered by channel" in result.stderr


def test_history_and_check(data_dir: Path) -> None:
    assert run("aht").exit_code == 0
    result = run("aht", "--history", "--format", "json")
    assert json.loads(result.output)[0]["version"] == 1
    assert "valid" in run("--check").output


def test_a_bad_where_is_one_clear_error(data_dir: Path) -> None:
    result = run("aht", "--where", "colour=red")
    assert result.exit_code == 1 and "unknown dimension 'colour'" in result.output


def test_kpi_summary_for_the_demo(data_dir: Path) -> None:
    from rich.console import Console

    from csqm.metrics import kpi_summary
    from csqm.metrics.cli import kpi_summary_table

    with open_store(settings=Settings.from_env()) as store:
        summary = kpi_summary(store, lang="en")
    assert list(summary.columns)[:3] == ["metric", "name", "dimension"]
    row = summary.set_index("metric").loc["aht"]
    assert row["value"] == pytest.approx(200.0) and row["status"] == "good"
    console = Console(width=160, record=True)
    console.print(kpi_summary_table(summary))
    text = console.export_text()
    assert "Average handle time" in text and "200.0 s" in text and "no data" in text


def test_refresh_rollup_builds_what_the_console_reads(data_dir: Path) -> None:
    from csqm.metrics import rollup

    result = run("--refresh-rollup")
    assert result.exit_code == 0, result.output
    assert "KPI rollup rebuilt" in result.output
    with open_store(settings=Settings.from_env()) as store:
        assert rollup.built_state(store) is not None
        assert rollup.ensure_built(store) is None  # fresh: nothing to do
        frame = rollup.compute_metrics(store, ["answer_rate"], by=["team"])
        assert frame.attrs["rollup"] == ["answer_rate"]
        # both T1 calls answered; T2 has only a chat, which the (phone) answer rate does not count
        values = dict(zip(frame["team"], frame["value"], strict=True))
        assert values["T1"] == 100.0 and pd.isna(values["T2"])
