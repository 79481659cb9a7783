"""Progress bars for long work (rich), silent when output is not a terminal and --quiet is set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

console = Console(stderr=True)


def new_progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@contextmanager
def row_counter(description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A bar (or counter when the total is unknown) advanced by the number of rows done."""
    with new_progress() as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)
