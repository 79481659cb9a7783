"""Commands that set up the store and bring data in: init, ingest, generate, status, rejects."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from csqm.cli.context import AppContext, pass_app
from csqm.cli.progress import console, row_counter, stage_bars
from csqm.ingest import IngestSummary, ingest_directory, ingest_file
from csqm.ingest.profiles import builtin_profiles
from csqm.store.migrations import LATEST
from csqm.store.schema import INGEST_KINDS, TABLES


@click.command()
@pass_app
def init(app: AppContext) -> None:
    """Create the store (or bring its schema up to date), the pseudonymisation key and the first admin."""
    from csqm.web.auth import ensure_first_admin
    from csqm.web.tables import ensure_tables

    settings = app.settings
    settings.secret_key()
    store = app.store()
    applied = store.migrate()
    console.print(f"Store {store.url} is at schema version {LATEST}" + (f" (applied {applied})" if applied else ""))
    ensure_tables(store)
    first = ensure_first_admin(store)
    if first:
        username, password = first
        click.echo(f"Created the first administrator {username!r}. Password, shown only now: {password}")


def summary_table(summaries: list[IngestSummary]) -> Table:
    out = Table(title="Ingest summary", show_lines=False)
    out.add_column("file", no_wrap=True, min_width=16)
    out.add_column("kind", no_wrap=True, min_width=12)
    for name in ("read", "inserted", "updated", "unchanged", "rejected"):
        out.add_column(name, justify="right", min_width=9, no_wrap=True)
    for s in summaries:
        for kind, c in s.kinds.items():
            out.add_row(s.source, kind, *(f"{v:,}" for v in (c.read, c.inserted, c.updated, c.unchanged, c.rejected)))
    return out


def _report(summaries: list[IngestSummary], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in summaries], ensure_ascii=False, default=str, indent=2))
        return
    console.print(summary_table(summaries))
    for s in summaries:
        if s.ignored_columns:
            console.print(f"{s.source}: ignored column(s) not in the data model: {', '.join(s.ignored_columns)}")
        if s.customers_merged or s.identity_conflicts:
            console.print(
                f"{s.source}: {s.customers_merged} customers merged, {s.identity_conflicts} identity conflicts"
            )
        if s.rejects_file:
            console.print(f"{s.source}: {s.rejected:,} rejected rows written to {s.rejects_file}", style="yellow")


INGEST_HELP = f"""Ingest files into the store, masking personal data first.

KIND is one of: {", ".join(INGEST_KINDS)}; or `dir` followed by folders of canonical files named
KIND.csv / KIND.parquet / … . Each file is one atomic batch: invalid rows go to the quarantine
table and a rejects file, never into the data; re-ingesting a file changes nothing.

\b
Examples:
  csqm ingest interactions calls.csv chats.xlsx
  csqm ingest dir ./export
  csqm ingest --profile pwc_callcenter calls.csv
"""


@click.command(help=INGEST_HELP)
@click.argument("args", nargs=-1, required=True, metavar="KIND FILE…")
@click.option(
    "--profile",
    help=f"Mapping profile: a built-in ({', '.join(sorted(builtin_profiles()))}) or a YAML file. "
    "With a profile, give only files.",
)
@click.option(
    "--encoding", help="Force the text encoding (default: detect UTF-8, UTF-8 with BOM, UTF-16, GBK/GB18030)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "json", "jsonl", "parquet"]),
    help="Force the file format (default: from the extension, checked against the content).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
def ingest(
    app: AppContext,
    args: tuple[str, ...],
    profile: str | None,
    encoding: str | None,
    fmt: str | None,
    as_json: bool,
) -> None:
    store, settings = app.store(), app.settings
    summaries: list[IngestSummary] = []
    if profile:
        files, kind = list(args), None
    elif args[0] == "dir":
        for folder in args[1:]:
            summaries += ingest_directory(folder, store=store, settings=settings, on_file=None)
        _report(summaries, as_json)
        return
    else:
        kind, files = args[0], list(args[1:])
        if not files:
            raise click.UsageError("Give at least one FILE after KIND.")
    for file in files:
        with row_counter(f"ingest {Path(file).name}") as advance:
            summaries.append(
                ingest_file(
                    file,
                    kind,
                    store=store,
                    settings=settings,
                    profile=profile,
                    encoding=encoding,
                    format=fmt,
                    progress=advance,
                )
            )
    _report(summaries, as_json)


@click.command()
@click.option("--interactions", "-n", default=5000, show_default=True, help="Number of interactions.")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same files).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder to write the files into.")
def generate(interactions: int, seed: int, lang: str, fmt: str, out: Path) -> None:
    """Write a realistic, seeded omni-channel demo dataset in the canonical format."""
    from csqm.generate import generate as run

    with stage_bars() as report:
        summary = run(out, interactions=interactions, seed=seed, lang=lang, fmt=fmt, progress=report)  # type: ignore[arg-type]
    for kind, rows in summary.rows.items():
        console.print(f"{kind:>14}: {rows:,} rows")
    console.print(f"Wrote {len(summary.files)} files to {out}")
    console.print("Planted problems (see docs/demo-data.md):")
    for name, fact in summary.planted.items():
        console.print(f"  · {name}: {fact}")


@click.command()
@pass_app
def status(app: AppContext) -> None:
    """Show the store, its schema version and how many rows each table holds."""
    store = app.store()
    out = Table(title=f"{store.url} (schema v{store.schema_version()})")
    out.add_column("table")
    out.add_column("rows", justify="right")
    for decl in TABLES:
        out.add_row(decl.name, f"{store.count(decl.name):,}")
    console.print(out)


@click.command()
@click.option("--batch", help="Only this batch id.")
@click.option("--limit", default=50, show_default=True)
@pass_app
def rejects(app: AppContext, batch: str | None, limit: int) -> None:
    """Show rejected input rows (quarantine): file, row, field and reason. Values are masked."""
    store = app.store()
    where, params = ("WHERE batch_id = ?", [batch]) if batch else ("", [])
    frame = store.query(
        f"SELECT source, kind, row_number, field, value, reason FROM quarantine {where} "
        "ORDER BY rejected_at DESC, source, row_number LIMIT ?",
        [*params, limit],
    )
    out = Table(title="Rejected rows")
    for col in frame.columns:
        out.add_column(col)
    for row in frame.itertuples(index=False):
        out.add_row(*("" if v is None else str(v) for v in row))
    console.print(out)


COMMANDS = (init, ingest, generate, status, rejects)
