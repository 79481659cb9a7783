"""``csqm realtime``: real-time ingress, workers and replay."""

from __future__ import annotations

import click


@click.group("realtime")
def realtime() -> None:
    """Real-time monitoring: ingress server, NATS workers, alerts, replay."""
