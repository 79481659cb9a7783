"""Per-engine SQL: the few expressions that differ between databases, and rendering.

The compiler builds every query as a SQLGlot expression tree and asks an :class:`Engine` only for
what is engine-specific (seconds between two timestamps, UTC → local time, truncation to a grain).
Adding ClickHouse, Spark or Trino is a subclass that overrides what differs plus one line in
``ENGINES`` — see ``docs/metrics-engines.md``.

Values never reach SQL text: the compiler puts :meth:`Engine.param` markers in the tree and
:meth:`Engine.render` turns them into the store's ``?`` placeholders, returning the values in the
order they appear in the text.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from sqlglot import exp

GRAINS = ("hour", "day", "week", "month", "quarter")

_MARK = re.compile(r"__csqm_param_(\d+)__")


class Params:
    """Values collected while a query is built; each gets a marker rendered as ``?``."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def add(self, value: Any) -> exp.Expr:
        self.values.append(value)
        return exp.var(f"__csqm_param_{len(self.values) - 1}__")


class Engine:
    """SQL for one database. The base class targets the ANSI-ish common ground."""

    name: ClassVar[str] = "ansi"
    sqlglot_dialect: ClassVar[str] = ""
    float_type: ClassVar[str] = "DOUBLE"

    def seconds_between(self, start: exp.Expr, end: exp.Expr) -> exp.Expr:
        """Seconds from ``start`` to ``end`` (both naive UTC timestamps) as a float."""
        diff = exp.Paren(this=exp.Sub(this=end, expression=start))
        epoch = exp.Extract(this=exp.var("EPOCH"), expression=diff)
        return exp.cast(epoch, self.float_type, copy=False)

    def to_local(self, ts: exp.Expr, zone: str, fixed_offset_hours: float | None) -> exp.Expr:
        """A naive UTC timestamp as naive local time in ``zone``.

        When the zone keeps one UTC offset over the whole queried range (Asia/Shanghai always does),
        adding the offset gives the same answer far faster than a per-row zone lookup.
        """
        if fixed_offset_hours is not None:
            if fixed_offset_hours == 0:
                return ts
            minutes = round(fixed_offset_hours * 60)
            return exp.Add(this=ts, expression=self.interval(minutes, "MINUTE"))
        utc = exp.AtTimeZone(this=ts, zone=exp.Literal.string("UTC"))
        return exp.AtTimeZone(this=utc, zone=exp.Literal.string(zone))

    def interval(self, amount: int, unit: str) -> exp.Expr:
        return exp.Interval(this=exp.Literal.string(str(amount)), unit=exp.var(unit))

    def truncate(self, grain: str, ts: exp.Expr) -> exp.Expr:
        """Start of the ``grain`` period containing ``ts`` (weeks start on Monday)."""
        if grain not in GRAINS:
            raise ValueError(f"unknown grain {grain!r}")
        return exp.cast(exp.func("DATE_TRUNC", exp.Literal.string(grain), ts), "TIMESTAMP", copy=False)

    def percentile(self, quantile: float, value: exp.Expr) -> exp.Expr:
        """Exact, interpolated percentile (``percentile_cont``)."""
        ordered = exp.Order(expressions=[exp.Ordered(this=value)])
        inner = exp.PercentileCont(this=exp.Literal.number(quantile))
        return exp.WithinGroup(this=inner, expression=ordered)

    def tie_break(self, value: exp.Expr) -> exp.Expr:
        """A text column ordered byte-wise, so ties break the same way on every engine."""
        return value

    def neighbour(
        self, func: str, time: exp.Expr, partition: list[exp.Expr], tie: exp.Expr, prefix: str
    ) -> tuple[list[tuple[str, exp.Expr]], exp.Expr]:
        """``LEAD``/``LAG`` of ``time`` among rows with equal ``partition`` values, ordered by time.

        Returns the window's inputs (name, expression over the source row), computed first, and the
        window itself over ``t.<name>``. ``tie`` (a unique text key) orders rows with equal times.
        """
        keys = [(f"{prefix}_k{i}", p) for i, p in enumerate(partition)]
        inputs = [*keys, (f"{prefix}_time", time), (f"{prefix}_tie", tie)]
        order = [exp.Ordered(this=_t(f"{prefix}_time")), exp.Ordered(this=self.tie_break(_t(f"{prefix}_tie")))]
        window = exp.Window(
            this=exp.func(func, _t(f"{prefix}_time")),
            partition_by=[_t(name) for name, _ in keys],
            order=exp.Order(expressions=order),
        )
        return inputs, window

    def to_float(self, value: exp.Expr) -> exp.Expr:
        return exp.cast(value, self.float_type, copy=False)

    def render(self, query: exp.Expr, *, pretty: bool = False) -> tuple[str, list[int]]:
        """SQL text with ``?`` placeholders, and which :class:`Params` value each one takes."""
        text = query.sql(dialect=self.sqlglot_dialect or None, identify=True, pretty=pretty)
        return _MARK.sub("?", text), [int(m) for m in _MARK.findall(text)]


class DuckDBEngine(Engine):
    """DuckDB: the embedded default store."""

    name = "duckdb"
    sqlglot_dialect = "duckdb"
    float_type = "DOUBLE"

    def neighbour(
        self, func: str, time: exp.Expr, partition: list[exp.Expr], tie: exp.Expr, prefix: str
    ) -> tuple[list[tuple[str, exp.Expr]], exp.Expr]:
        # DuckDB's window is slow with text partition and sort keys carried through it (13.6 s against
        # 6.5 s on 10M contacts), so it gets integers: a 64-bit hash of the partition values and of
        # the tie key. Two partitions would only mix if their hashes collided (chance ~1e-6 with 5M
        # partitions). Equal times break ties by hash(tie) here and by the key's bytes on other
        # engines: totals never depend on it, only which of two same-second rows is the "next".
        inputs = [(f"{prefix}_key", exp.func("HASH", *partition)), (f"{prefix}_time", time),
                  (f"{prefix}_tie", exp.func("HASH", tie))]  # fmt: skip
        order = [exp.Ordered(this=_t(f"{prefix}_time")), exp.Ordered(this=_t(f"{prefix}_tie"))]
        window = exp.Window(
            this=exp.func(func, _t(f"{prefix}_time")),
            partition_by=[_t(f"{prefix}_key")],
            order=exp.Order(expressions=order),
        )
        return inputs, window


class PostgresEngine(Engine):
    """PostgreSQL: ``EXTRACT(EPOCH …)`` returns numeric, hence the cast in the base class."""

    name = "postgres"
    sqlglot_dialect = "postgres"
    float_type = "DOUBLE PRECISION"

    def tie_break(self, value: exp.Expr) -> exp.Expr:
        # The database's collation may order 'a-1' and 'a1' differently from DuckDB's byte order.
        return exp.Collate(this=value, expression=exp.to_identifier("C", quoted=True))


def _t(name: str) -> exp.Column:
    return exp.column(name, table="t")


ENGINES: dict[str, Engine] = {engine.name: engine for engine in (DuckDBEngine(), PostgresEngine())}


def engine_for(dialect: str) -> Engine:
    """The engine for a store dialect (``store.dialect``)."""
    try:
        return ENGINES[dialect]
    except KeyError:
        raise ValueError(f"no metric engine for dialect {dialect!r}; known: {', '.join(ENGINES)}") from None
