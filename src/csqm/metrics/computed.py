"""Computed columns: what catalogue expressions may use besides the stored columns.

Three kinds, by how the compiler evaluates them:

- **inline** (``build``): a row expression substituted where it is used (wait time, handle time);
- **inner** (``build`` with ``inner=True``): a row expression that reads other tables (a correlated
  sub-query: the next order after a complaint, schedule adherence overlaps), evaluated once per row
  before any filter;
- **neighbour** (``neighbour=Neighbour(...)``): the time of the previous or next row with equal
  partition values (the next contact of the same customer on the same topic), a window over the
  whole table — before any dimension filter, so a repeat on another channel still counts.

Each engine renders them (``Engine.seconds_between``, ``Engine.neighbour``); their meaning is
documented with the source in ``docs/metrics.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlglot import exp

from csqm.metrics.engines import Engine


def col(name: str, alias: str = "t") -> exp.Column:
    """``alias.name``; ``t`` is the source table."""
    return exp.column(name, table=alias)


@dataclass(frozen=True)
class Neighbour:
    """``func`` (LEAD: next, LAG: previous) of ``time`` among rows with equal ``partition`` values.

    ``tie`` is a unique key ordering rows with equal times.
    """

    func: Literal["LEAD", "LAG"]
    time: str
    partition: Callable[[], list[exp.Expr]]
    tie: str


@dataclass(frozen=True)
class Computed:
    """A computed column.

    ``looks`` says which other rows of the same table an inner column reads: "ahead" (later rows,
    e.g. the next contact), "back" (earlier rows) or "none"; rows on the other side of the queried
    range can then be dropped before it is computed.
    """

    doc: str
    build: Callable[[Engine], exp.Expr] | None = None
    inner: bool = False
    looks: Literal["ahead", "back", "none"] = "none"
    neighbour: Neighbour | None = None

    @property
    def evaluated_first(self) -> bool:
        """Evaluated over the table before filters (inner sub-query or neighbour window)."""
        return self.inner or self.neighbour is not None


def secs(start: str, end: str) -> Callable[[Engine], exp.Expr]:
    """Seconds from column ``start`` to column ``end``."""
    return lambda e: e.seconds_between(col(start), col(end))


def wait_seconds(e: Engine) -> exp.Expr:
    return e.seconds_between(col("offered_at"), exp.func("COALESCE", col("answered_at"), col("ended_at")))


def handle_seconds(e: Engine) -> exp.Expr:
    hold = exp.func("COALESCE", col("hold_seconds"), exp.Literal.number(0))
    acw = exp.func("COALESCE", col("acw_seconds"), exp.Literal.number(0))
    return exp.Add(this=exp.Add(this=col("talk_seconds"), expression=hold), expression=acw)


def cancelled() -> exp.Expr:
    """Whether an order is cancelled (missing status counts as paid)."""
    status = exp.func("COALESCE", col("status"), exp.Literal.string("paid"))
    return exp.EQ(this=status, expression=exp.Literal.string("cancelled"))


def next_order_after(e: Engine) -> exp.Expr:
    """The customer's first non-cancelled order placed after ``t.created_at``."""
    status = exp.func("COALESCE", col("status", "o"), exp.Literal.string("paid"))
    where = exp.and_(
        exp.EQ(this=col("customer_id", "o"), expression=col("customer_id")),
        exp.GT(this=col("ordered_at", "o"), expression=col("created_at")),
        exp.NEQ(this=status, expression=exp.Literal.string("cancelled")),
        copy=False,
    )
    orders = exp.select(exp.func("MIN", col("ordered_at", "o")), copy=False)
    orders = orders.from_(exp.to_table("orders").as_("o", copy=False), copy=False).where(where, copy=False)
    return exp.Subquery(this=orders)


ACTIVITY_STATES = {
    "work": ("available", "on_call", "acw"),
    "break": ("break",),
    "meeting": ("meeting",),
    "training": ("training",),
}


def adherent_seconds(e: Engine) -> exp.Expr:
    """Seconds of the scheduled interval the agent spent in a state matching the planned activity."""
    start = exp.func("GREATEST", col("started_at", "s"), col("starts_at"))
    end = exp.func("LEAST", col("ended_at", "s"), col("ends_at"))
    overlap = exp.func("GREATEST", exp.Literal.number(0), e.seconds_between(start, end))
    matches = exp.Case(
        ifs=[
            exp.If(
                this=exp.EQ(this=col("activity"), expression=exp.Literal.string(activity)),
                true=exp.In(this=col("state", "s"), expressions=[exp.Literal.string(s) for s in states]),
            )
            for activity, states in ACTIVITY_STATES.items()
        ],
        default=exp.false(),
    )
    where = exp.and_(
        exp.EQ(this=col("agent_id", "s"), expression=col("agent_id")),
        exp.LT(this=col("started_at", "s"), expression=col("ends_at")),
        exp.GT(this=col("ended_at", "s"), expression=col("starts_at")),
        matches,
        copy=False,
    )
    query = exp.select(exp.func("COALESCE", exp.func("SUM", overlap), exp.Literal.number(0)), copy=False)
    query = query.from_(exp.to_table("agent_states").as_("s", copy=False), copy=False).where(where, copy=False)
    return exp.Subquery(this=query)
