"""The tables real-time monitoring writes, declared like ``csqm.store.schema`` (to be folded into the
schema migrations). :func:`ensure_tables` creates them idempotently until then.

Conversations and their turns go to the normal ``interactions`` / ``utterances`` tables so batch
tools see them; these tables hold what only real time needs: the event log (idempotency and the
per-conversation state workers share), queue contacts, alerts with their acknowledgement and
webhook delivery state, and the dead letters of the webhook.
"""

from __future__ import annotations

from csqm.store import Store
from csqm.store.schema import Column, Table


def _c(name: str, type_: str, doc: str, **kw: object) -> Column:
    return Column(name, type_, doc, **kw)  # type: ignore[arg-type]


REALTIME_EVENTS = Table(
    "realtime_events",
    "Every real-time event accepted once (idempotency by event id), with what later events of the same "
    "conversation need: the customer's polarity per turn.",
    (
        _c("event_id", "text", "Sender's event id; a second event with the same id is ignored.", nullable=False),
        _c("event_type", "text", "conversation_started, utterance, conversation_ended or queue_*.", nullable=False),
        _c("subject_id", "text", "Conversation id (interactions) or queue contact id.", nullable=False),
        _c("seq", "int", "Turn number for utterances.", unit="count"),
        _c("speaker", "text", "Speaker for utterances."),
        _c("polarity", "float", "Sentiment polarity of a customer turn, -1 to 1.", minimum=-1, maximum=1),
        _c("occurred_at", "timestamp", "When it happened, as sent (UTC).", unit="UTC"),
        _c("received_at", "timestamp", "When CSQM accepted it (UTC).", unit="UTC"),
    ),
    key=("event_id",),
    group="system",
    ingestable=False,
    indexes=(("subject_id",),),
)

REALTIME_QUEUE = Table(
    "realtime_queue_contacts",
    "Contacts waiting in or leaving a queue, from queue events (live queue KPIs and wait alerts).",
    (
        _c("contact_id", "text", "Queue contact id (usually the call or chat id).", nullable=False),
        _c("queue", "text", "Queue or skill group."),
        _c("team_id", "text", "Team serving the queue or answering the contact."),
        _c("channel", "text", "Channel."),
        _c("offered_at", "timestamp", "Entered the queue (UTC).", unit="UTC"),
        _c("answered_at", "timestamp", "Answered (UTC).", unit="UTC"),
        _c("abandoned_at", "timestamp", "Customer left the queue unanswered (UTC).", unit="UTC"),
    ),
    key=("contact_id",),
    group="system",
    ingestable=False,
    indexes=(("offered_at",),),
)

REALTIME_ALERTS = Table(
    "realtime_alerts",
    "Alerts raised in real time (one per subject × kind within the dedup window), their acknowledgement "
    "and webhook delivery.",
    (
        _c("alert_id", "text", "Alert id (deterministic from what raised it).", nullable=False),
        _c("kind", "text", "threat_words, emotion, chat_sla, queue_wait, rule:<id> or kpi:<metric>.", nullable=False),
        _c("subject_id", "text", "Conversation, queue contact, or queue/team the alert is about.", nullable=False),
        _c("severity", "text", "warning or critical."),
        _c("message", "text", "One sentence for people (masked)."),
        _c("evidence", "text", "What triggered it (masked text or figures)."),
        _c("queue", "text", "Queue, when known."),
        _c("team_id", "text", "Team, when known."),
        _c("agent_id", "text", "Agent, when known."),
        _c("event_id", "text", "Event that raised it (null for timers)."),
        _c("received_at", "timestamp", "When the raising event was received (UTC).", unit="UTC"),
        _c("created_at", "timestamp", "When the alert was stored (UTC).", unit="UTC"),
        _c("acknowledged_at", "timestamp", "When someone acknowledged it (UTC).", unit="UTC"),
        _c("acknowledged_by", "text", "Who acknowledged it (username)."),
        _c("webhook_status", "text", "none, pending, sent or dead.", values=("none", "pending", "sent", "dead")),
        _c("webhook_attempts", "int", "Delivery attempts so far.", unit="count", minimum=0),
        _c("webhook_next_at", "timestamp", "Next delivery attempt (UTC).", unit="UTC"),
    ),
    key=("alert_id",),
    group="system",
    ingestable=False,
    indexes=(("subject_id", "kind"), ("created_at",)),
)

REALTIME_DEAD_LETTERS = Table(
    "realtime_dead_letters",
    "Webhook deliveries given up after the maximum number of attempts.",
    (
        _c("alert_id", "text", "Alert not delivered.", nullable=False),
        _c("url", "text", "Webhook URL.", nullable=False),
        _c("attempts", "int", "Attempts made.", unit="count", minimum=0),
        _c("last_error", "text", "The last failure (status code or connection error)."),
        _c("payload", "text", "The signed JSON payload that was not delivered."),
        _c("failed_at", "timestamp", "When it was given up (UTC).", unit="UTC"),
    ),
    key=("alert_id", "url"),
    group="system",
    ingestable=False,
)

REALTIME_PENDING = Table(
    "realtime_pending_inspections",
    "Ended conversations waiting for their end-of-conversation inspection (when the server inspects in "
    "the background rather than inside the request).",
    (
        _c("interaction_id", "text", "Conversation to inspect.", nullable=False),
        _c("queued_at", "timestamp", "When it was queued (UTC).", unit="UTC"),
    ),
    key=("interaction_id",),
    group="system",
    ingestable=False,
)

REALTIME_TABLES = (REALTIME_EVENTS, REALTIME_QUEUE, REALTIME_ALERTS, REALTIME_DEAD_LETTERS, REALTIME_PENDING)


def ensure_tables(store: Store, tables: tuple[Table, ...] = REALTIME_TABLES) -> None:
    """Create the real-time tables (and the inspection tables results go to) if missing (idempotent)."""
    from csqm.inspection.tables import ensure_tables as ensure_inspection

    ensure_inspection(store)
    store.create_tables(tables)
