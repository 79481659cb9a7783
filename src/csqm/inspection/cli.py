"""``csqm inspect`` and ``csqm review``: automatic inspection and human spot checks from the shell.

Register in ``csqm.cli.main``: ``cli.add_command(inspection.cli.inspect_command)`` and
``cli.add_command(inspection.cli.review)``.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from csqm.cli.context import AppContext, pass_app
from csqm.cli.progress import console, cumulative_bar
from csqm.inspection.loading import Packs
from csqm.inspection.review.cli import review
from csqm.inspection.runner import inspect, resolve_packs

__all__ = ["inspect_command", "review"]


def _rules_table(packs: Packs) -> Table:
    table = Table(title=f"Rules (pack version {packs.version})")
    for col in ("id", "name", "detector", "speaker", "channels", "severity", "item", "source"):
        table.add_column(col, overflow="fold")
    for r in packs.rules:
        rule = r.rule
        table.add_row(
            rule.id,
            f"{rule.name_zh}\n{rule.name_en}",
            rule.detector,
            ",".join(r.speakers) or "any",
            ",".join(rule.channels) or "all",
            rule.severity,
            rule.item or "-",
            r.source,
        )
    return table


@click.command("inspect")
@click.option(
    "--packs",
    "pack_dirs",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    envvar="CSQM_PACKS",
    help="Directory (or file) of extra rule packs; a rule or scorecard with a shipped id replaces it. Repeatable.",
)
@click.option("--rules", "list_rules", is_flag=True, help="List the loaded rules and exit.")
@click.option("--no-sentiment", is_flag=True, help="Leave out the sentiment and mood rules.")
@click.option("--force", is_flag=True, help="Re-inspect every conversation, even those up to date.")
@pass_app
def inspect_command(
    app: AppContext, pack_dirs: tuple[Path, ...], list_rules: bool, no_sentiment: bool, force: bool
) -> None:
    """Inspect every conversation against the rule packs and scorecards (自动质检).

    Each conversation not yet inspected with the current packs is checked by every rule in scope
    (forbidden phrases, greeting and closing scripts, promises, identity check before disclosure,
    silence and slow replies, personal data read out, emotion …), scored on its channel's
    scorecard (a fatal finding fails it) and stored in inspection_results / inspection_findings.
    Running it again changes nothing; after a pack change only the conversations whose rules
    changed are inspected again.
    """
    packs = resolve_packs(list(pack_dirs) or None)
    if list_rules:
        console.print(_rules_table(packs))
        return
    store = app.store()
    total = int(store.scalar('SELECT count(*) FROM "interactions"'))
    with cumulative_bar("inspect conversations", total) as report:
        summary = inspect(store, packs=packs, progress=report, sentiment=not no_sentiment, force=force)
    console.print(
        f"Pack version {summary.pack_version}: inspected {summary.inspected:,} of {summary.conversations:,} "
        f"conversations ({summary.up_to_date:,} already up to date); {summary.findings:,} findings, "
        f"{summary.fatal:,} fatal; {summary.feedback:,} survey comments judged; {summary.seconds:.1f} s."
    )
