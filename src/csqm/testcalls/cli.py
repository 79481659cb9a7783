"""``csqm testcalls``: test-call plans, scenarios, schedules, results and reports."""

from __future__ import annotations

import click


@click.group("testcalls")
def testcalls() -> None:
    """Test-call (拨测) programmes: plans, scenarios, scheduling, results, reports."""
