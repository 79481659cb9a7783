"""``csqm metrics``: KPIs by any dimension and grain, the catalogue, its history.

Registered by ``csqm.cli.main``; everything here calls :func:`csqm.metrics.compute_metrics`.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click
import pandas as pd
from rich.console import Console
from rich.table import Table

from csqm.cli.context import AppContext, pass_app
from csqm.errors import ConfigError
from csqm.metrics import rollup
from csqm.metrics.catalogue import Catalogue, load_catalogue, user_dir_from_env
from csqm.metrics.describe import formula
from csqm.metrics.engines import GRAINS
from csqm.metrics.history import history_frame
from csqm.metrics.query import compute_metrics
from csqm.metrics.sources import DIMENSIONS
from csqm.metrics.summary import format_value

FORMATS = ("table", "csv", "json", "xlsx")
_STATUS_STYLE = {"good": "green", "warning": "yellow", "bad": "red"}
out = Console()


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-03-31") from None


def _dims(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, ...]:
    dims = tuple(d.strip() for d in (value or "").split(",") if d.strip())
    unknown = [d for d in dims if d not in DIMENSIONS]
    if unknown:
        raise click.BadParameter(f"unknown dimension {unknown[0]!r}; use {', '.join(DIMENSIONS)}")
    return dims


@click.command("metrics")
@click.argument("ids", nargs=-1)
@click.option("--list", "show_list", is_flag=True, help="Show the catalogue with definitions and targets.")
@click.option("--history", "show_history", is_flag=True, help="Show every recorded version of the metrics (M7).")
@click.option("--check", is_flag=True, help="Validate the catalogue (with your overrides) and exit.")
@click.option(
    "--refresh-rollup",
    is_flag=True,
    help="Rebuild the pre-aggregated daily KPI rollup the console reads (docs/rollups.md) and exit.",
)
@click.option("--by", callback=_dims, help=f"Break down by dimensions, comma-separated: {', '.join(DIMENSIONS)}.")
@click.option("--grain", type=click.Choice(GRAINS), help="Time grain, in the reporting zone (weeks start Monday).")
@click.option("--from", "start", callback=_date, help="First local date, e.g. 2026-01-01.")
@click.option("--to", "end", callback=_date, help="Last local date (inclusive), e.g. 2026-03-31.")
@click.option("--where", multiple=True, help="Filter, e.g. 'channel=phone,chat;business_line=ToB' (repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to this file (needed for xlsx).")
@click.option(
    "--catalogue",
    "catalogue_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Your catalogue directory (default $CSQM_METRICS_DIR, else <data dir>/metrics).",
)
@click.option("--timezone", help="Reporting zone (default the catalogue's, Asia/Shanghai).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@pass_app
def metrics(
    app: AppContext,
    ids: tuple[str, ...],
    show_list: bool,
    show_history: bool,
    check: bool,
    refresh_rollup: bool,
    by: tuple[str, ...],
    grain: str | None,
    start: date | None,
    end: date | None,
    where: tuple[str, ...],
    fmt: str,
    output: Path | None,
    catalogue_dir: Path | None,
    timezone: str | None,
    lang: str,
) -> None:
    """KPIs against targets, by any dimension and time grain (指标查询).

    \b
    csqm metrics --list
    csqm metrics service_level fcr --by team,channel --grain week --from 2026-01-01 --to 2026-03-31
    csqm metrics --where 'channel=phone;business_line=ToB' --format xlsx -o kpis.xlsx
    """
    catalogue = load_catalogue(catalogue_dir or user_dir_from_env(app.settings.data_dir))
    selected = list(ids)
    if check:
        click.echo(f"The catalogue is valid: {len(catalogue.metrics)} metrics.")
        return
    if show_list:
        _emit(_listing(catalogue, selected, lang), fmt, output, title="Metric catalogue")
        return
    store = app.store()
    if store.dialect == "duckdb":
        # DuckDB draws a progress bar on stdout for long queries, which would corrupt CSV/JSON output.
        store.execute("SET enable_progress_bar = false")
    if refresh_rollup:
        summary = rollup.refresh(store, catalogue)
        click.echo(
            f"KPI rollup rebuilt: {summary.rows:,} rows, {summary.measures} measures from {summary.sources} sources "
            f"in {summary.seconds:.1f} s."
        )
        return
    if show_history:
        _emit(history_frame(store, selected or None), fmt, output, title="Metric history")
        return
    frame = compute_metrics(
        store, selected or None, by=by, grain=grain, start=start, end=end, where=list(where) or None,
        catalogue=catalogue, timezone=timezone,
    )  # fmt: skip
    for metric_id, reason in frame.attrs.get("skipped", {}).items():
        click.echo(f"Skipped {metric_id}: {reason}.", err=True)
    if fmt == "table":
        frame = _readable(frame, catalogue, lang)
    _emit(frame, fmt, output, title="KPIs")


def _listing(catalogue: Catalogue, ids: list[str], lang: str) -> pd.DataFrame:
    rows = []
    for m in catalogue.metrics.values():
        if ids and m.id not in ids:
            continue
        rows.append(
            {
                "metric": m.id,
                "name": m.name.zh if lang == "zh" else m.name.en,
                "dimension": m.dimension,
                "unit": m.unit,
                "direction": m.direction,
                "target": m.target,
                "warning": m.warning,
                "cadence": m.cadence,
                "owner": m.owner,
                "status": "retired" if m.retired else "active",
                "description": m.description,
                "definition": formula(m),
            }
        )
    return pd.DataFrame(rows)


def _readable(frame: pd.DataFrame, catalogue: Catalogue, lang: str) -> pd.DataFrame:
    shown = frame.copy()
    shown.insert(1, "name", [catalogue[m].name.zh if lang == "zh" else catalogue[m].name.en for m in frame["metric"]])
    shown["value"] = [format_value(v, u) for v, u in zip(frame["value"], frame["unit"], strict=True)]
    shown["target"] = [format_value(v, u) for v, u in zip(frame["target"], frame["unit"], strict=True)]
    if "period" in shown and pd.api.types.is_datetime64_any_dtype(shown["period"]):
        hourly = (shown["period"].dt.hour != 0).any()
        shown["period"] = shown["period"].dt.strftime("%Y-%m-%d %H:00" if hourly else "%Y-%m-%d")
    keep = [
        c
        for c in shown.columns
        if c not in ("numerator", "denominator", "unit", "direction", "warning", "definition_hash")
    ]
    return shown[keep].rename(columns={"sample_size": "n"})


def _emit(frame: pd.DataFrame, fmt: str, output: Path | None, *, title: str) -> None:
    if fmt == "xlsx":
        if output is None:
            raise ConfigError("--format xlsx needs --output FILE.xlsx.")
        _excel(frame, output, title)
    elif fmt == "csv":
        _write(frame.to_csv(index=False), output)
    elif fmt == "json":
        _write(frame.to_json(orient="records", date_format="iso", force_ascii=False, indent=1), output)
    else:
        table = _rich(frame, title)
        if output is not None:
            with output.open("w", encoding="utf-8") as fh:
                Console(file=fh, width=200).print(table)
        else:
            out.print(table)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8")


def _excel(frame: pd.DataFrame, path: Path, title: str) -> None:
    sheet = frame.copy()
    for column in sheet.columns:
        if sheet[column].dtype == object:
            sheet[column] = sheet[column].map(lambda v: v.isoformat() if isinstance(v, date | datetime) else v)
    sheet.to_excel(path, sheet_name=title[:31], index=False)


def _rich(frame: pd.DataFrame, title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left", overflow="fold")
    for row in frame.itertuples(index=False):
        cells = []
        for column, cell in zip(frame.columns, row, strict=True):
            text = "" if cell is None or (isinstance(cell, float) and pd.isna(cell)) else str(cell)
            if column == "status" and text in _STATUS_STYLE:
                text = f"[{_STATUS_STYLE[text]}]{text}[/]"
            cells.append(text)
        table.add_row(*cells)
    return table


def kpi_summary_table(summary: pd.DataFrame, *, title: str = "KPIs against targets") -> Table:
    """A rich table of :func:`csqm.metrics.kpi_summary` (for ``csqm demo``)."""
    table = Table(title=title)
    for name, justify in (("dimension", "left"), ("metric", "left"), ("value", "right"), ("target", "right"),
                          ("status", "left"), ("n", "right")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in summary.to_dict("records"):
        status = row["status"] if isinstance(row["status"], str) else ""
        styled = f"[{_STATUS_STYLE[status]}]{status}[/]" if status in _STATUS_STYLE else "no data"
        unit = str(row["unit"])
        value, target = _number(row["value"]), _number(row["target"])
        count = f"{int(str(row['sample_size'])):,}"
        table.add_row(str(row["dimension"]), str(row["name"]), format_value(value, unit),
                      format_value(target, unit), styled, count)  # fmt: skip
    return table


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not (isinstance(value, float) and value != value):
        return float(value)
    return None
