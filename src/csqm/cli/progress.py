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
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

console = Console(stderr=True, soft_wrap=True)  # messages keep paths and ids whole; tables still fit


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
def stage_bars() -> Iterator[Callable[[str, int, int], None]]:
    """One bar per named stage, for work that reports ``(stage, done, total)``."""
    with new_progress() as progress:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(f"generate {stage}", total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield report


@contextmanager
def cumulative_bar(description: str, total: int) -> Iterator[Callable[[int, int], None]]:
    """A bar for work that reports ``(done so far, total)`` rather than increments."""
    with row_counter(description, total) as advance:
        done = [0]

        def report(n: int, _total: int) -> None:
            advance(n - done[0])
            done[0] = n

        yield report


@contextmanager
def row_counter(description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A bar (or counter when the total is unknown) advanced by the number of rows done."""
    with new_progress() as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)
