"""The one omni-channel data model: every table, column, unit and key.

This module is the single source of truth. The DDL for every engine, the ingest validators and
``docs/data-model.md`` are all derived from (or checked against) these declarations.

Conventions:
- Timestamps (``timestamp``) are stored in UTC without a zone; the source zone is an ingest setting.
- Durations are in seconds (``float``) unless the unit says otherwise; money in yuan (CNY).
- Personal data never appears in clear: identity values are stored as a masked display value and a
  keyed pseudonym (HMAC-SHA256), free text is masked before storage (see ``csqm.privacy``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["text", "int", "float", "bool", "timestamp", "date"]

CHANNELS = ("phone", "chat", "email", "social", "store", "self_service", "bot", "iot")
DIRECTIONS = ("inbound", "outbound")
SPEAKERS = ("customer", "agent", "bot", "system")
AGENT_ROLES = ("general", "expert", "csm")
BUSINESS_LINES = ("ToC", "ToB")
IDENTITY_KINDS = ("phone", "email", "wechat", "member_id", "social_handle", "crm_id")
PRIORITIES = ("low", "normal", "high", "urgent")
AGENT_STATES = ("available", "on_call", "acw", "break", "meeting", "training", "offline")
SCHEDULE_ACTIVITIES = ("work", "break", "meeting", "training")
KB_EVENTS = ("search", "view", "update", "helpful", "unhelpful")
ORDER_STATUSES = ("paid", "shipped", "delivered", "cancelled", "refunded")


@dataclass(frozen=True)
class Column:
    """One column: its SQL type, whether it may be null, its unit and meaning."""

    name: str
    type: ColumnType
    doc: str
    nullable: bool = True
    unit: str = ""
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Table:
    """One table: its columns and natural key (re-ingesting the same key updates the row)."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    group: Literal["organisation", "customers", "contacts", "outcomes", "workforce", "system"] = "contacts"
    ingestable: bool = True
    indexes: tuple[tuple[str, ...], ...] = field(default=())

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def data_columns(self) -> tuple[str, ...]:
        """Columns compared when deciding whether a re-ingested row changed."""
        return tuple(c.name for c in self.columns if c.name not in SYSTEM_COLUMNS)


#: Bookkeeping columns on ingestable tables; not compared when detecting a changed row.
SYSTEM_COLUMNS = ("batch_id",)

_BATCH = Column("batch_id", "text", "Ingest batch that last inserted or changed this row.")


def _c(name: str, type_: ColumnType, doc: str, **kw: object) -> Column:
    return Column(name, type_, doc, **kw)  # type: ignore[arg-type]


def _secs(name: str, doc: str) -> Column:
    return Column(name, "float", doc, unit="s", minimum=0)


TABLES: tuple[Table, ...] = (
    Table(
        "centres",
        "Contact centres (sites). The top of the organisation tree.",
        (
            _c("centre_id", "text", "Centre identifier.", nullable=False),
            _c("name", "text", "Display name."),
            _c("region", "text", "Region the centre serves."),
            _BATCH,
        ),
        key=("centre_id",),
        group="organisation",
    ),
    Table(
        "teams",
        "Teams (班组) inside a centre.",
        (
            _c("team_id", "text", "Team identifier.", nullable=False),
            _c("centre_id", "text", "Centre the team belongs to."),
            _c("name", "text", "Display name."),
            _c("business_line", "text", "Business line served.", values=BUSINESS_LINES),
            _BATCH,
        ),
        key=("team_id",),
        group="organisation",
    ),
    Table(
        "agents",
        "Agents (坐席): people who handle contacts, with their role and employment dates.",
        (
            _c("agent_id", "text", "Agent identifier (employee number).", nullable=False),
            _c("team_id", "text", "Current team."),
            _c("name", "text", "Agent's display name (staff, not customer data)."),
            _c("role", "text", "general agent, expert or customer-success manager.", values=AGENT_ROLES),
            _c("hired_on", "date", "First working day."),
            _c("left_on", "date", "Last working day; null while employed."),
            _BATCH,
        ),
        key=("agent_id",),
        group="organisation",
    ),
    Table(
        "customers",
        "Customers, one row per person or company across every channel (identity-resolved).",
        (
            _c("customer_id", "text", "CSQM customer id (stable; see customer_identities).", nullable=False),
            _c("segment", "text", "Segment or tier, e.g. VIP, regular, new."),
            _c("business_line", "text", "ToC (consumer) or ToB (business).", values=BUSINESS_LINES),
            _c("region", "text", "Home region."),
            _c("display_name", "text", "Masked name, e.g. 张*; the clear name is never stored."),
            _c("display_address", "text", "Masked address (province/city kept), never the clear address."),
            _c("first_seen_at", "timestamp", "First contact or registration (UTC).", unit="UTC"),
            _BATCH,
        ),
        key=("customer_id",),
        group="customers",
    ),
    Table(
        "customer_identities",
        "Identifiers that point at a customer. Values are pseudonymised: the HMAC links channels "
        "without storing the identifier.",
        (
            _c("kind", "text", "Identifier kind.", nullable=False, values=IDENTITY_KINDS),
            _c(
                "pseudonym",
                "text",
                "HMAC-SHA256 of the normalised value, keyed by the store secret (hex).",
                nullable=False,
            ),
            _c("customer_id", "text", "Customer this identifier belongs to.", nullable=False),
            _c("masked_value", "text", "Display form, e.g. 138****5678."),
            _c("raw_value", "text", "Clear value; only filled when privacy.keep_raw is set."),
            _c("first_seen_at", "timestamp", "When the identifier was first ingested (UTC).", unit="UTC"),
        ),
        key=("kind", "pseudonym"),
        group="customers",
        ingestable=False,
        indexes=(("customer_id",),),
    ),
    Table(
        "customer_merges",
        "Audit of identity resolution: customers merged because an identifier linked them.",
        (
            _c("merged_customer_id", "text", "Customer id that was folded into another.", nullable=False),
            _c("into_customer_id", "text", "Surviving customer id.", nullable=False),
            _c("reason", "text", "Which identifier kinds linked them and in which batch."),
            _c("merged_at", "timestamp", "When the merge happened (UTC).", unit="UTC"),
        ),
        key=("merged_customer_id",),
        group="customers",
        ingestable=False,
    ),
    Table(
        "identity_conflicts",
        "Rows whose identifiers pointed at two customers that cannot be the same person (different "
        "CRM ids). They are not merged; the row is linked to the customer of its own CRM id, or the first.",
        (
            _c("batch_id", "text", "Batch that met the conflict.", nullable=False),
            _c("kind", "text", "Data kind of the row.", nullable=False),
            _c("row_number", "int", "Row in the file.", nullable=False, unit="row"),
            _c("customer_id", "text", "Customer the row was linked to."),
            _c("other_customer_id", "text", "Customer it also pointed at, not merged."),
            _c("reason", "text", "Which identifier kinds conflicted."),
        ),
        key=("batch_id", "kind", "row_number"),
        group="customers",
        ingestable=False,
    ),
    Table(
        "interactions",
        "One contact on any channel: a call, chat, e-mail thread, social thread, store visit, "
        "self-service or bot session.",
        (
            _c("interaction_id", "text", "Source system's contact id.", nullable=False),
            _c("channel", "text", "Channel of contact.", nullable=False, values=CHANNELS),
            _c("direction", "text", "inbound or outbound.", values=DIRECTIONS),
            _c("queue", "text", "Queue or skill group."),
            _c("customer_id", "text", "Resolved customer."),
            _c("agent_id", "text", "Agent who handled it (last agent after transfers)."),
            _c("team_id", "text", "Agent's team at the time of contact."),
            _c(
                "offered_at",
                "timestamp",
                "Entered the queue / contact started (UTC).",
                nullable=False,
                unit="UTC",
            ),
            _c(
                "answered_at",
                "timestamp",
                "Answered by an agent or bot (UTC); null if not answered.",
                unit="UTC",
            ),
            _c("ended_at", "timestamp", "Contact ended (UTC).", unit="UTC"),
            _c("abandoned", "bool", "Customer hung up / left before being answered."),
            _secs("talk_seconds", "Talk (or active chat) time."),
            _secs("hold_seconds", "Time on hold."),
            _secs("acw_seconds", "After-contact work (wrap-up) time."),
            _secs("first_response_seconds", "Online channels: seconds to the first agent reply."),
            _c("transfers", "int", "Number of transfers.", unit="count", minimum=0),
            _c("topic", "text", "Topic or reason for contact."),
            _c("product", "text", "Product concerned."),
            _c("region", "text", "Customer's region."),
            _c("business_line", "text", "ToC or ToB.", values=BUSINESS_LINES),
            _c("resolved", "bool", "Resolved by this contact, as recorded by the source."),
            _c("ticket_id", "text", "Ticket opened or updated by this contact."),
            _c("handled_by_bot", "bool", "Fully handled by a bot (no human)."),
            _c("escalated", "bool", "Escalated (to a senior agent, or bot to human)."),
            _c("language", "text", "Language code, e.g. zh, en."),
            _BATCH,
        ),
        key=("interaction_id",),
        indexes=(("customer_id",), ("agent_id",), ("offered_at",)),
    ),
    Table(
        "utterances",
        "The transcript: one turn of a conversation, masked.",
        (
            _c("interaction_id", "text", "Conversation this turn belongs to.", nullable=False),
            _c("seq", "int", "Turn number, from 1.", nullable=False, unit="count", minimum=0),
            _c("speaker", "text", "Who spoke.", nullable=False, values=SPEAKERS),
            _c("spoken_at", "timestamp", "When the turn was said or sent (UTC).", unit="UTC"),
            _c("offset_seconds", "float", "Seconds from the start of the conversation.", unit="s", minimum=0),
            _c("text", "text", "Masked text of the turn."),
            _c("pii_kinds", "text", "Kinds of personal data masked in this turn (comma-separated)."),
            _BATCH,
        ),
        key=("interaction_id", "seq"),
    ),
    Table(
        "tickets",
        "Tickets (工单) with their life-cycle timestamps.",
        (
            _c("ticket_id", "text", "Ticket id.", nullable=False),
            _c("interaction_id", "text", "Contact that opened it."),
            _c("customer_id", "text", "Resolved customer."),
            _c("agent_id", "text", "Owner."),
            _c("team_id", "text", "Owning team."),
            _c("channel", "text", "Channel it came from.", values=CHANNELS),
            _c("category", "text", "Category."),
            _c("priority", "text", "Priority.", values=PRIORITIES),
            _c("is_complex", "bool", "Marked complex (SLA: closed within 24 h)."),
            _c("created_at", "timestamp", "Created (UTC).", nullable=False, unit="UTC"),
            _c("first_response_at", "timestamp", "First response to the customer (UTC).", unit="UTC"),
            _c("resolved_at", "timestamp", "Resolved (UTC).", unit="UTC"),
            _c("closed_at", "timestamp", "Closed (UTC).", unit="UTC"),
            _c("reopen_count", "int", "Times reopened.", unit="count", minimum=0),
            _c("mandatory_fields_total", "int", "Mandatory fields on the form.", unit="count", minimum=0),
            _c("mandatory_fields_filled", "int", "Mandatory fields filled.", unit="count", minimum=0),
            _BATCH,
        ),
        key=("ticket_id",),
        group="outcomes",
    ),
    Table(
        "surveys",
        "Satisfaction surveys: CSAT 1–5, NPS 0–10, CES 1–7. A survey sent and not answered has null scores.",
        (
            _c("survey_id", "text", "Survey id.", nullable=False),
            _c("interaction_id", "text", "Contact surveyed."),
            _c("customer_id", "text", "Resolved customer."),
            _c("sent_at", "timestamp", "Sent (UTC).", unit="UTC"),
            _c("answered_at", "timestamp", "Answered (UTC); null if never answered.", unit="UTC"),
            _c("csat", "float", "Customer satisfaction 1–5.", unit="score", minimum=1, maximum=5),
            _c("nps", "float", "Likelihood to recommend 0–10.", unit="score", minimum=0, maximum=10),
            _c("ces", "float", "Customer effort 1–7 (7 = very easy).", unit="score", minimum=1, maximum=7),
            _c("comment", "text", "Free-text comment, masked."),
            _BATCH,
        ),
        key=("survey_id",),
        group="outcomes",
    ),
    Table(
        "complaints",
        "Complaints (投诉), whatever channel they arrived through.",
        (
            _c("complaint_id", "text", "Complaint id.", nullable=False),
            _c("customer_id", "text", "Resolved customer."),
            _c("interaction_id", "text", "Contact complained about, if known."),
            _c("ticket_id", "text", "Ticket tracking it."),
            _c("channel", "text", "Channel it arrived through.", values=CHANNELS),
            _c("category", "text", "Category, e.g. logistics, attitude, product."),
            _c("severity", "text", "Severity."),
            _c("product", "text", "Product concerned."),
            _c("region", "text", "Customer's region."),
            _c("created_at", "timestamp", "Filed (UTC).", nullable=False, unit="UTC"),
            _c("resolved_at", "timestamp", "Resolved (UTC).", unit="UTC"),
            _c("description", "text", "Masked description."),
            _BATCH,
        ),
        key=("complaint_id",),
        group="outcomes",
    ),
    Table(
        "orders",
        "Orders, for RFM segmentation and repurchase.",
        (
            _c("order_id", "text", "Order id.", nullable=False),
            _c("customer_id", "text", "Resolved customer."),
            _c("ordered_at", "timestamp", "Placed (UTC).", nullable=False, unit="UTC"),
            _c("amount", "float", "Order value.", unit="CNY", minimum=0),
            _c("product", "text", "Main product."),
            _c("channel", "text", "Sales channel (free text: app, web, store …)."),
            _c("status", "text", "Order status.", values=ORDER_STATUSES),
            _BATCH,
        ),
        key=("order_id",),
        group="outcomes",
    ),
    Table(
        "agent_states",
        "Agent state changes (ACD log), for occupancy and utilisation.",
        (
            _c("agent_id", "text", "Agent.", nullable=False),
            _c("state", "text", "State.", nullable=False, values=AGENT_STATES),
            _c("started_at", "timestamp", "State entered (UTC).", nullable=False, unit="UTC"),
            _c("ended_at", "timestamp", "State left (UTC).", unit="UTC"),
            _BATCH,
        ),
        key=("agent_id", "started_at"),
        group="workforce",
    ),
    Table(
        "schedules",
        "Planned shifts and activities, for adherence and conformance.",
        (
            _c("agent_id", "text", "Agent.", nullable=False),
            _c("starts_at", "timestamp", "Planned start (UTC).", nullable=False, unit="UTC"),
            _c("ends_at", "timestamp", "Planned end (UTC).", nullable=False, unit="UTC"),
            _c("activity", "text", "Planned activity.", values=SCHEDULE_ACTIVITIES),
            _BATCH,
        ),
        key=("agent_id", "starts_at"),
        group="workforce",
    ),
    Table(
        "kb_events",
        "Knowledge-base events: searches, article views and updates.",
        (
            _c("event_id", "text", "Event id.", nullable=False),
            _c("event", "text", "What happened.", nullable=False, values=KB_EVENTS),
            _c("occurred_at", "timestamp", "When (UTC).", nullable=False, unit="UTC"),
            _c("article_id", "text", "Article concerned."),
            _c("article_title", "text", "Article title."),
            _c("query", "text", "Search text, masked."),
            _c("agent_id", "text", "Agent, if an agent did it."),
            _c("customer_id", "text", "Customer, for self-service searches."),
            _c("interaction_id", "text", "Contact during which it happened."),
            _BATCH,
        ),
        key=("event_id",),
        group="workforce",
    ),
    Table(
        "ingest_batches",
        "One row per ingested file: what was read and what happened to it.",
        (
            _c("batch_id", "text", "Batch id.", nullable=False),
            _c("kind", "text", "Data kind ingested."),
            _c("source", "text", "File name (no directories)."),
            _c("sha256", "text", "Hash of the file's bytes."),
            _c("profile", "text", "Mapping profile used."),
            _c("started_at", "timestamp", "Started (UTC).", unit="UTC"),
            _c("finished_at", "timestamp", "Committed (UTC).", unit="UTC"),
            _c("rows_read", "int", "Rows read.", unit="count"),
            _c("inserted", "int", "Rows inserted.", unit="count"),
            _c("updated", "int", "Rows changed.", unit="count"),
            _c("unchanged", "int", "Rows already stored as they are.", unit="count"),
            _c("rejected", "int", "Rows rejected to quarantine.", unit="count"),
        ),
        key=("batch_id",),
        group="system",
        ingestable=False,
    ),
    Table(
        "quarantine",
        "Rejected input rows: never stored in the data tables; kept here with the reason. Values are masked.",
        (
            _c("batch_id", "text", "Batch that rejected the row.", nullable=False),
            _c("kind", "text", "Data kind."),
            _c("source", "text", "File name."),
            _c(
                "row_number",
                "int",
                "Row number in the file (1 = first data row).",
                nullable=False,
                unit="row",
            ),
            _c("field", "text", "Field at fault.", nullable=False),
            _c("value", "text", "Offending value, masked and truncated."),
            _c("reason", "text", "Why the row was rejected."),
            _c("rejected_at", "timestamp", "When (UTC).", unit="UTC"),
        ),
        key=("batch_id", "kind", "row_number", "field"),
        group="system",
        ingestable=False,
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

#: Data kinds that ``csqm ingest KIND`` accepts, in dependency order.
INGEST_KINDS: tuple[str, ...] = tuple(t.name for t in TABLES if t.ingestable)


def table(name: str) -> Table:
    """Return the declaration of table ``name``."""
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        known = ", ".join(TABLES_BY_NAME)
        raise KeyError(f"unknown table {name!r}; known tables: {known}") from None
