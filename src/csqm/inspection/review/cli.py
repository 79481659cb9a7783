"""``csqm review``: spot-check samples, review sheets in and out, machine accuracy and agreement."""

from __future__ import annotations

import math
from pathlib import Path

import click
import pandas as pd
from rich.table import Table

from csqm.cli.context import AppContext, pass_app
from csqm.cli.progress import console
from csqm.inspection.review.records import export_sheet, import_sheet
from csqm.inspection.review.sampling import STRATA, SamplePlan, create_sample
from csqm.inspection.review.stats import agreement, calibration, rule_accuracy


def _show(frame: pd.DataFrame, title: str) -> None:
    table = Table(title=title)
    for col in frame.columns:
        table.add_column(str(col))
    for row in frame.itertuples(index=False):
        table.add_row(*[_fmt(v) for v in row])
    console.print(table)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.3f}"
    return str(value)


@click.group("review")
def review() -> None:
    """Human spot checks of the automatic inspection (抽检复核): sample, review, measure.

    1. `csqm review sample NAME --by team_id --per 5 --seed 1` draws a reproducible stratified sample;
    2. `csqm review export NAME sheet.csv` writes a review sheet (one row per machine finding);
    3. reviewers fill in verdict (confirmed / rejected / missed), score and passed;
    4. `csqm review import sheet.csv` stores their decisions;
    5. `csqm review report` shows per-rule precision and recall and reviewer agreement.
    """


@review.command("sample")
@click.argument("name")
@click.option(
    "--by",
    "by",
    multiple=True,
    type=click.Choice(STRATA),
    default=("team_id",),
    show_default=True,
    help="Stratify by this interaction column (repeatable).",
)
@click.option("--per", "per", type=int, default=5, show_default=True, help="Conversations per stratum.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed and data, same sample.")
@click.option("--failed-only", is_flag=True, help="Only conversations that failed the inspection.")
@pass_app
def sample_command(app: AppContext, name: str, by: tuple[str, ...], per: int, seed: int, failed_only: bool) -> None:
    """Draw and store the spot-check sample NAME from inspected conversations."""
    rows = create_sample(app.store(), name, SamplePlan(by=by, per_stratum=per, seed=seed, only_failed=failed_only))
    strata = rows["stratum"].nunique() if len(rows) else 0
    console.print(f"Sample {name}: {len(rows):,} conversations from {strata:,} strata (seed {seed}).")


@review.command("export")
@click.argument("name")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def export_command(app: AppContext, name: str, path: Path) -> None:
    """Write the review sheet (CSV) of sample NAME to PATH."""
    count = export_sheet(app.store(), name, path)
    console.print(f"Wrote {count:,} rows to {path}.")


@review.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def import_command(app: AppContext, path: Path) -> None:
    """Import reviewers' decisions and scores from a filled-in review sheet (CSV)."""
    summary = import_sheet(app.store(), path)
    console.print(f"Imported {summary.decisions:,} finding decisions and {summary.scores:,} manual scores.")


@review.command("report")
@click.option("--tolerance", type=float, default=5.0, show_default=True, help="Points within which two scores agree.")
@click.option("--session", help="Only this calibration session (also shows each reviewer's deviation).")
@pass_app
def report_command(app: AppContext, tolerance: float, session: str | None) -> None:
    """Machine accuracy per rule (precision, recall, misjudgment rate) and agreement between raters."""
    store = app.store()
    _show(rule_accuracy(store), "Machine vs reviewers, per rule")
    _show(agreement(store, tolerance=tolerance, session=session), f"Agreement (scores within ±{tolerance:g})")
    if session:
        per_conv, per_reviewer = calibration(store, session)
        _show(per_conv, f"Calibration session {session}")
        _show(per_reviewer, "Deviation from the other reviewers")
