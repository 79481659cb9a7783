"""Sources: the tables metrics aggregate over, how each is dated, and how it reaches each dimension.

A source is one table of ``csqm.store.schema`` plus:

- its **time**: an event timestamp (UTC) bucketed into local periods, or an employment **span**
  (agents) counted in every period it overlaps;
- its **dimensions**: the column (possibly through a key join to teams, agents, customers or the
  contact) that answers "which team / channel / segment …" for a row. A dimension a source cannot
  reach is an error when asked for, never silently ignored;
- **computed columns** that catalogue expressions may use like real ones (wait time, handle time,
  the next contact of the same customer on the same topic, …). They are code because they differ
  per engine; their meaning is documented here and in ``docs/metrics.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from csqm.metrics.computed import (
    Computed,
    Neighbour,
    adherent_seconds,
    cancelled,
    col,
    handle_seconds,
    next_order_after,
    secs,
    wait_seconds,
)
from csqm.metrics.engines import Engine
from csqm.store.schema import BUSINESS_LINES, CHANNELS

#: Dimensions a result can be broken down or filtered by, with their meaning.
DIMENSIONS: dict[str, str] = {
    "centre": "Contact centre (teams.centre_id of the team)",
    "team": "Team (班组)",
    "agent": "Agent (坐席)",
    "channel": "Channel of contact",
    "queue": "Queue or skill group",
    "topic": "Topic of the contact (ticket category for tickets)",
    "product": "Product concerned",
    "region": "Customer's region",
    "business_line": "Business line ToC / ToB",
    "segment": "Customer segment (customers.segment)",
}

#: Known values of enumerated dimensions, to catch typos in filters and scenario targets.
DIMENSION_VALUES: dict[str, tuple[str, ...]] = {"channel": CHANNELS, "business_line": BUSINESS_LINES}


@dataclass(frozen=True)
class Join:
    """``LEFT JOIN table AS alias ON alias.key = via.column`` (a key join: never multiplies rows)."""

    table: str
    key: str
    via: str
    column: str


@dataclass(frozen=True)
class Source:
    name: str
    doc: str
    time: str | None = None
    span: tuple[str, str] | None = None
    joins: dict[str, Join] = field(default_factory=dict)
    dimensions: dict[str, tuple[str, str]] = field(default_factory=dict)
    computed: dict[str, Computed] = field(default_factory=dict)
    #: Scan the table separately for measures that need a window (worth it for the largest table).
    split_windows: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        from csqm.store.migrations import declared_table

        return declared_table(self.name).column_names

    def dimension(self, name: str) -> tuple[str, str]:
        """(alias, column) of a dimension; KeyError when this source cannot reach it."""
        return self.dimensions[name]

    def joins_for(self, alias: str) -> list[str]:
        """Join aliases needed to reach ``alias``, dependencies first."""
        if alias == "t":
            return []
        join = self.joins[alias]
        return [*self.joins_for(join.via), alias]


def _contact_partition() -> list[exp.Expr]:
    direction = exp.func("COALESCE", col("direction"), exp.Literal.string("inbound"))
    return [col("customer_id"), col("topic"), direction]


_TEAMS = Join("teams", "team_id", "t", "team_id")
_CUSTOMERS = Join("customers", "customer_id", "t", "customer_id")
_CONTACT = Join("interactions", "interaction_id", "t", "interaction_id")
_CUSTOMERS_OF_CONTACT = Join("customers", "customer_id", "ix", "customer_id")

_CONTACT_DIMS = {
    "team": ("ix", "team_id"),
    "agent": ("ix", "agent_id"),
    "channel": ("ix", "channel"),
    "queue": ("ix", "queue"),
    "topic": ("ix", "topic"),
    "product": ("ix", "product"),
    "region": ("ix", "region"),
    "business_line": ("ix", "business_line"),
    "centre": ("tmx", "centre_id"),
    "segment": ("cu", "segment"),
}

_STAFF_JOINS = {"ag": Join("agents", "agent_id", "t", "agent_id"), "tm": Join("teams", "team_id", "ag", "team_id")}
_STAFF_DIMS = {
    "agent": ("t", "agent_id"),
    "team": ("ag", "team_id"),
    "centre": ("tm", "centre_id"),
    "business_line": ("tm", "business_line"),
}


def _has_finding(category: str) -> Callable[[Engine], exp.Expr]:
    """True when the inspected conversation has a finding of rule category ``category``."""

    def build(_: Engine) -> exp.Expr:
        findings = exp.select(exp.Literal.number(1)).from_(exp.to_table("inspection_findings").as_("f"))
        same = exp.EQ(this=exp.column("interaction_id", "f"), expression=col("interaction_id"))
        kind = exp.EQ(this=exp.column("category", "f"), expression=exp.Literal.string(category))
        return exp.Exists(this=findings.where(exp.and_(same, kind)))

    return build


def _pseudo_satisfied(_: Engine) -> exp.Expr:
    """The survey's comment was judged negative, or its conversation drew a complaint."""
    negative = (
        exp.select(exp.Literal.number(1))
        .from_(exp.to_table("inspection_feedback").as_("b"))
        .where(
            exp.and_(
                exp.EQ(this=exp.column("survey_id", "b"), expression=col("survey_id")),
                exp.column("negative", "b"),
            )
        )
    )
    complained = (
        exp.select(exp.Literal.number(1))
        .from_(exp.to_table("complaints").as_("c"))
        .where(exp.EQ(this=exp.column("interaction_id", "c"), expression=col("interaction_id")))
    )
    return exp.or_(exp.Exists(this=negative), exp.Exists(this=complained))


_CATEGORIES = {
    "has_forbidden": "forbidden",
    "has_thanks": "thanks",
    "has_history": "history",
    "has_negative_emotion": "negative_emotion",
}

SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            "interactions",
            "Contacts on every channel, dated by offered_at.",
            split_windows=True,
            time="offered_at",
            joins={"tm": _TEAMS, "cu": _CUSTOMERS},
            dimensions={
                **{d: ("t", d) for d in ("channel", "queue", "topic", "product", "region", "business_line")},
                "team": ("t", "team_id"),
                "agent": ("t", "agent_id"),
                "centre": ("tm", "centre_id"),
                "segment": ("cu", "segment"),
            },
            computed={
                "wait_seconds": Computed(
                    "Seconds from offered to answered, or to hang-up for unanswered contacts.", wait_seconds
                ),
                "handle_seconds": Computed(
                    "Talk + hold + after-contact work (missing hold or wrap-up count as 0).", handle_seconds
                ),
                "next_contact_at": Computed(
                    "Next contact by the same customer on the same topic, any channel, same direction "
                    "(an agent's outbound call-back is not a customer's repeat contact).",
                    looks="ahead",
                    neighbour=Neighbour("LEAD", "offered_at", _contact_partition, "interaction_id"),
                ),
                "seconds_to_next_contact": Computed(
                    "Seconds from this contact to next_contact_at (null when there is none).",
                    secs("offered_at", "next_contact_at"),
                ),
            },
        ),
        Source(
            "tickets",
            "Tickets, dated by created_at. Topic is the ticket category.",
            time="created_at",
            joins={"tm": _TEAMS, "cu": _CUSTOMERS, "ix": _CONTACT},
            dimensions={
                "team": ("t", "team_id"),
                "agent": ("t", "agent_id"),
                "channel": ("t", "channel"),
                "topic": ("t", "category"),
                "centre": ("tm", "centre_id"),
                "queue": ("ix", "queue"),
                "product": ("ix", "product"),
                "region": ("ix", "region"),
                "business_line": ("ix", "business_line"),
                "segment": ("cu", "segment"),
            },
            computed={
                "first_response_seconds": Computed(
                    "created_at → first_response_at.", secs("created_at", "first_response_at")
                ),
                "resolution_seconds": Computed("created_at → resolved_at.", secs("created_at", "resolved_at")),
                "close_seconds": Computed("created_at → closed_at.", secs("created_at", "closed_at")),
            },
        ),
        Source(
            "surveys",
            "Surveys, dated by sent_at; dimensions are those of the surveyed contact.",
            time="sent_at",
            joins={"ix": _CONTACT, "tmx": Join("teams", "team_id", "ix", "team_id"), "cu": _CUSTOMERS},
            dimensions={**_CONTACT_DIMS, "segment": ("cu", "segment")},
            computed={
                "pseudo_satisfied": Computed(
                    "The comment was judged negative by inspection, or the surveyed contact drew a complaint.",
                    _pseudo_satisfied,
                )
            },
        ),
        Source(
            "inspection_results",
            "Automatically inspected conversations, dated by the conversation's offered_at; dimensions "
            "are those of the conversation.",
            time="offered_at",
            joins={"ix": _CONTACT, "tmx": Join("teams", "team_id", "ix", "team_id"), "cu": _CUSTOMERS_OF_CONTACT},
            dimensions={**_CONTACT_DIMS, "segment": ("cu", "segment")},
            computed={
                name: Computed(f"The conversation has a finding of rule category '{cat}'.", _has_finding(cat))
                for name, cat in _CATEGORIES.items()
            },
        ),
        Source(
            "complaints",
            "Complaints, dated by created_at; team, agent, queue and topic are those of the contact "
            "complained about; business line and segment those of the customer.",
            time="created_at",
            joins={"ix": _CONTACT, "tmx": Join("teams", "team_id", "ix", "team_id"), "cu": _CUSTOMERS},
            dimensions={
                **{d: _CONTACT_DIMS[d] for d in ("team", "agent", "queue", "topic", "centre")},
                "channel": ("t", "channel"),
                "product": ("t", "product"),
                "region": ("t", "region"),
                "business_line": ("cu", "business_line"),
                "segment": ("cu", "segment"),
            },
            computed={
                "previous_complaint_at": Computed(
                    "The same customer's previous complaint in the same category.",
                    looks="back",
                    neighbour=Neighbour(
                        "LAG", "created_at", lambda: [col("customer_id"), col("category")], "complaint_id"
                    ),
                ),
                "seconds_since_previous_complaint": Computed(
                    "Seconds from previous_complaint_at to this complaint.",
                    secs("previous_complaint_at", "created_at"),
                ),
                "next_order_at": Computed(
                    "The customer's first non-cancelled order placed after the complaint.",
                    next_order_after,
                    inner=True,
                ),
                "seconds_to_next_order": Computed(
                    "Seconds from the complaint to next_order_at.", secs("created_at", "next_order_at")
                ),
                "resolution_seconds": Computed("created_at → resolved_at.", secs("created_at", "resolved_at")),
            },
        ),
        Source(
            "orders",
            "Orders, dated by ordered_at; region, business line and segment are the customer's.",
            time="ordered_at",
            joins={"cu": _CUSTOMERS},
            dimensions={
                "product": ("t", "product"),
                "region": ("cu", "region"),
                "business_line": ("cu", "business_line"),
                "segment": ("cu", "segment"),
            },
            computed={
                "previous_order_at": Computed(
                    "The same customer's previous non-cancelled order (for cancelled ones: previous cancelled).",
                    looks="back",
                    neighbour=Neighbour("LAG", "ordered_at", lambda: [col("customer_id"), cancelled()], "order_id"),
                ),
                "seconds_since_previous_order": Computed(
                    "Seconds from previous_order_at to this order.", secs("previous_order_at", "ordered_at")
                ),
            },
        ),
        Source(
            "agent_states",
            "Agent states (ACD log), dated by started_at; team and centre are the agent's current ones.",
            time="started_at",
            joins=_STAFF_JOINS,
            dimensions=_STAFF_DIMS,
            computed={"state_seconds": Computed("started_at → ended_at.", secs("started_at", "ended_at"))},
        ),
        Source(
            "schedules",
            "Planned shifts and activities, dated by starts_at.",
            time="starts_at",
            joins=_STAFF_JOINS,
            dimensions=_STAFF_DIMS,
            computed={
                "scheduled_seconds": Computed("starts_at → ends_at.", secs("starts_at", "ends_at")),
                "adherent_seconds": Computed(
                    "Seconds of the planned interval spent in a matching state (work: available, "
                    "on_call or acw; break, meeting, training: that state).",
                    adherent_seconds,
                    inner=True,
                ),
            },
        ),
        Source(
            "agents",
            "Agents, counted in every period of their employment (hired_on … left_on, local dates). "
            "period_start and period_end are the bounds of the row's period.",
            span=("hired_on", "left_on"),
            joins={"tm": Join("teams", "team_id", "t", "team_id")},
            dimensions={
                "agent": ("t", "agent_id"),
                "team": ("t", "team_id"),
                "centre": ("tm", "centre_id"),
                "business_line": ("tm", "business_line"),
            },
        ),
    )
}

#: Columns every span source's rows also have.
SPAN_COLUMNS = ("period_start", "period_end")


def source(name: str) -> Source:
    """The source called ``name``; KeyError listing the known ones."""
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCES)}") from None
