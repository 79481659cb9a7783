"""``csqm actions``: findings, improvement actions and their verification."""

from __future__ import annotations

import click


@click.group("actions")
def actions() -> None:
    """The improvement loop (闭环): findings, actions, verification, training."""
