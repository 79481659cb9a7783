"""The ``csqm`` command. Errors are one sentence; ``--debug`` shows the traceback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from csqm.cli import data_commands, demo_command
from csqm.cli.context import AppContext
from csqm.errors import CsqmError


class CsqmGroup(click.Group):
    """Turns CsqmError into one clear sentence and an exit status instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CsqmError as exc:
            if _debug(ctx):
                raise
            click.secho(f"Error: {exc}", fg="red", err=True)
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            if _debug(ctx):
                raise
            click.secho(
                f"Error: unexpected {type(exc).__name__}; run again with --debug for the traceback and report it.",
                fg="red",
                err=True,
            )
            sys.exit(2)
        except KeyboardInterrupt:
            if _debug(ctx):
                raise
            click.secho("Interrupted: the unfinished batch was rolled back, nothing of it was stored.", err=True)
            sys.exit(130)


def _debug(ctx: click.Context) -> bool:
    obj = ctx.find_object(AppContext)
    return bool(obj and obj.debug) or "--debug" in sys.argv


@click.group(cls=CsqmGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--store",
    "store_url",
    envvar="CSQM_STORE_URL",
    help="Database URL (default: the embedded DuckDB file in the data directory).",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    envvar="CSQM_DATA_DIR",
    help="Data directory (default ./csqm-data).",
)
@click.option("--debug", is_flag=True, help="Show the full traceback when something fails.")
@click.version_option(package_name="csqm")
@click.pass_context
def cli(ctx: click.Context, store_url: str | None, data_dir: Path | None, debug: bool) -> None:
    """CSQM — Customer Service Quality Monitor (客服质量监控).

    Ingest omni-channel contact-centre data with personal data masked, then monitor it.
    Start with `csqm demo`.
    """
    ctx.obj = AppContext(store_url=store_url, data_dir=data_dir, debug=debug)


def _register() -> None:
    from csqm.improvement.cli import actions
    from csqm.inspection.cli import inspect_command, review
    from csqm.metrics.cli import metrics
    from csqm.realtime.cli import realtime
    from csqm.testcalls.cli import testcalls
    from csqm.web.cli import serve, users

    commands = (
        *data_commands.COMMANDS,
        demo_command.demo,
        metrics,
        inspect_command,
        review,
        serve,
        users,
        testcalls,
        actions,
        realtime,
    )
    for command in commands:
        cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="csqm")


if __name__ == "__main__":
    main()
