"""Overdue reminders: each overdue action raises one ``action_overdue`` alert a day through the
real-time alert log, so it reaches the live board (team-scoped), the signed webhook when one is
configured, and the acknowledgement log — the same sinks as every other alert."""

from __future__ import annotations

from datetime import UTC, date, datetime

from csqm.improvement.actions import overdue
from csqm.realtime.alerts import Alert, candidate, store_alerts
from csqm.realtime.tables import ensure_tables
from csqm.store import Store

KIND = "action_overdue"
#: One reminder per action per day: the dedup window of the alert log.
DAY_SECONDS = 24 * 3600.0


def remind_overdue(store: Store, *, today: date, webhook: bool = False, now: datetime | None = None) -> list[Alert]:
    """Raise today's reminders for the overdue actions; returns those newly stored (none when run
    again the same day). ``webhook``: queue them for the webhook sender of ``csqm realtime serve``."""
    ensure_tables(store)
    moment = now or datetime.now(UTC).replace(tzinfo=None)
    candidates = [
        candidate(
            KIND,
            action.action_id,
            basis=today.isoformat(),
            severity="warning",
            message=f"Action {action.action_id} is overdue: due {action.due_on}, status {action.status}.",
            evidence=f"{action.title} — owner {action.owner or '?'}, department {action.department or '?'}",
            team_id=action.team_id,
            agent_id=action.agent_id,
        )
        for action in overdue(store, today=today)
    ]
    with store.transaction():
        return store_alerts(store, candidates, now=moment, window_seconds=DAY_SECONDS, webhook=webhook)
