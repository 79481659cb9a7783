"""``csqm demo``: the main job on the embedded store — generate, ingest, summarise."""

from __future__ import annotations

import shutil
import sys
from functools import partial
from pathlib import Path

import click

from csqm.cli.context import AppContext, pass_app
from csqm.cli.data_commands import summary_table
from csqm.cli.demo_report import improvement_section, inspection_section, serve_console, testcall_section
from csqm.cli.progress import console, new_progress, stage_bars
from csqm.ingest import canonical_files, ingest_file
from csqm.metrics import kpi_summary
from csqm.metrics.cli import kpi_summary_table


@click.command()
@click.option("--interactions", "-n", default=5000, show_default=True, help="Size of the demo dataset.")
@click.option("--seed", default=7, show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option(
    "--serve/--no-serve",
    default=None,
    help="End by serving the console with the demo data (default: only when run in a terminal).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the console listens on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Console port.")
@click.option(
    "--replay",
    "replay_speed",
    type=click.FloatRange(0.01),
    default=None,
    help="While serving, stream the demo conversations live at this speed (10 = ten times faster) so the "
    "live board and escalations can be watched.",
)
@pass_app
def demo(
    app: AppContext,
    interactions: int,
    seed: int,
    lang: str,
    serve: bool | None,
    host: str,
    port: int,
    replay_speed: float | None,
) -> None:
    """Generate a demo dataset, ingest it into the embedded store, show what was loaded, then serve the
    console on it (Ctrl-C stops; ``--no-serve`` for scripts)."""
    from csqm.generate import generate

    if replay_speed is not None and serve is False:
        raise click.UsageError("--replay streams to the console, so it cannot be combined with --no-serve.")

    settings = app.settings
    out = Path(settings.data_dir) / "demo-input"
    if out.exists():
        shutil.rmtree(out)
    console.rule("1. Generate demo data")
    with stage_bars() as report:
        generate(out, interactions=interactions, seed=seed, lang=lang, fmt="csv", progress=report)  # type: ignore[arg-type]
    console.rule("2. Ingest (personal data masked before storage)")
    store = app.store()
    summaries = []
    with new_progress() as progress:
        for kind, path in canonical_files(out):
            task = progress.add_task(f"ingest {path.name}", total=None)
            summaries.append(
                ingest_file(
                    path,
                    kind,
                    store=store,
                    settings=settings,
                    progress=partial(progress.advance, task),
                )
            )
            progress.update(task, total=progress.tasks[task].completed)
    console.print(summary_table(summaries))
    console.rule("3. What is in the store")
    customers = store.count("customers")
    identities = store.count("customer_identities")
    masked = store.scalar("SELECT count(*) FROM utterances WHERE pii_kinds IS NOT NULL")
    sample = store.query("SELECT text FROM utterances WHERE pii_kinds IS NOT NULL ORDER BY interaction_id, seq LIMIT 3")
    console.print(f"{store.count('interactions'):,} interactions, {store.count('utterances'):,} transcript lines")
    console.print(f"{customers:,} customers resolved from {identities:,} pseudonymised identifiers across channels")
    console.print(f"{masked:,} transcript lines had personal data masked, e.g.:")
    for text in sample["text"]:
        console.print(f"  · {text}")
    console.rule("4. Inspect every conversation (100% 质检)")
    inspection_section(store)
    console.rule("5. KPIs against targets (指标与目标)")
    console.print(kpi_summary_table(kpi_summary(store, lang=lang)))
    console.rule("6. Test calls (拨测)")
    testcall_section(store, seed=seed)
    console.rule("7. Improvement loop (闭环)")
    improvement_section(store)
    console.print(f"Store: {store.url}")
    if replay_speed is not None or (serve if serve is not None else sys.stdout.isatty()):
        console.rule("8. The console (控制台)")
        replay_from = out if replay_speed is not None else None
        serve_console(app.settings, store, host=host, port=port, replay_from=replay_from, speed=replay_speed or 1.0)
    else:
        console.print("Serve the console on this data with `csqm serve` (or run `csqm demo --serve`).")
