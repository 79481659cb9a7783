"""docs/inspection.md keeps up with the code; the commands work end to end on a small store."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from csqm.cli.main import cli
from csqm.inspection.cli import inspect_command, review
from csqm.inspection.detectors.registry import builtin_detectors
from csqm.inspection.loading import load_packs
from csqm.inspection.tables import INSPECTION_TABLES
from csqm.metrics import default_catalogue
from csqm.metrics.describe import formula
from csqm.settings import Settings
from csqm.store import open_store
from tests.inspection.store_helpers import FIXTURE, add_conversations

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "inspection.md").read_text(encoding="utf-8")
#: The inspection KPIs: defined once, in the metric catalogue.
KPI_FILE = ROOT / "src" / "csqm" / "metrics" / "catalogue" / "70-inspection.yaml"
KPI_IDS = [m["id"] for m in yaml.safe_load(KPI_FILE.read_text(encoding="utf-8"))["metrics"]]


def test_docs_cover_detectors_kpis_tables_and_rules() -> None:
    names = [f"`{c.name}`" for c in builtin_detectors()] + [f"`{k}`" for k in KPI_IDS]
    names += [f"`{t.name}`" for t in INSPECTION_TABLES]
    names += [f"`{r.rule.id.rsplit('.', 0)[0]}`" for r in load_packs().rules if r.rule.id.startswith("zh.")]
    missing = [n for n in names if n not in DOC and n.replace("`", "") not in DOC]
    assert not missing, f"docs/inspection.md does not mention {missing}"
    catalogue = default_catalogue()
    assert len(KPI_IDS) == 8
    for kpi in KPI_IDS:
        assert formula(catalogue[kpi]) in DOC, f"the formula of {kpi} in docs/inspection.md is out of date"


@pytest.fixture
def app() -> click.Group:
    group = click.Group("csqm", commands=dict(cli.commands))
    group.params = cli.params
    group.callback = cli.callback
    group.add_command(inspect_command)
    group.add_command(review)
    return group


def test_commands_end_to_end(app: click.Group, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSQM_SECRET", "test-secret-0123456789abcdef")
    settings = Settings(data_dir=tmp_path, secret="test-secret-0123456789abcdef")
    with open_store(settings=settings) as store:
        add_conversations(store, FIXTURE)
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path)]
    assert "inspect" in runner.invoke(app, [*base, "inspect", "--help"]).output
    listed = runner.invoke(app, [*base, "inspect", "--rules"])
    assert listed.exit_code == 0 and "Rules (pack version" in listed.output
    first = runner.invoke(app, [*base, "inspect", "--no-sentiment"])
    assert first.exit_code == 0, first.output
    assert "inspected 6 of 6" in first.output
    assert "inspected 0 of 6" in runner.invoke(app, [*base, "inspect", "--no-sentiment"]).output
    sampled = runner.invoke(app, [*base, "review", "sample", "s1", "--by", "channel", "--per", "2"])
    assert sampled.exit_code == 0 and "Sample s1" in sampled.output
    sheet = tmp_path / "sheet.csv"
    assert runner.invoke(app, [*base, "review", "export", "s1", str(sheet)]).exit_code == 0
    filled = tmp_path / "filled.csv"
    filled.write_text("interaction_id,reviewer,rule_id,seq,verdict,score\np2,ann,zh.forbidden.shirking,3,confirmed,\n"
                      "p2,ann,,,,60\n", encoding="utf-8")  # fmt: skip
    imported = runner.invoke(app, [*base, "review", "import", str(filled)])
    assert imported.exit_code == 0 and "1 finding decisions and 1 manual scores" in imported.output
    report = runner.invoke(app, [*base, "review", "report"])
    assert report.exit_code == 0 and "Machine vs reviewers" in report.output
