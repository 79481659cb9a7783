"""Catalogue expressions: a small, checked subset of SQL.

A metric's ``expr`` and ``filter`` are parsed with SQLGlot and may only contain column names of their
source (real or computed), ``:param`` references to the metric's parameters, literals, arithmetic
(``+ - *``), comparisons, ``AND/OR/NOT``, ``IN``, ``BETWEEN``, ``IS [NOT] NULL``, ``CASE`` and
``COALESCE / NULLIF / ABS / GREATEST / LEAST``. Anything else (sub-queries, other tables, other
functions, division — use a ratio metric or ``scale``) is a validation error, so the compiler only ever
receives trees it knows how to render on every engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from csqm.metrics.computed import col
from csqm.metrics.engines import Engine
from csqm.metrics.model import ParamValue
from csqm.metrics.sources import SPAN_COLUMNS, Source

_ALLOWED: tuple[type[exp.Expr], ...] = (
    exp.And, exp.Or, exp.Not, exp.Paren,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.Between,
    exp.Add, exp.Sub, exp.Mul, exp.Neg,
    exp.Case, exp.If, exp.Coalesce, exp.Nullif, exp.Abs, exp.Greatest, exp.Least,
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Placeholder,
)  # fmt: skip


class ExpressionError(ValueError):
    """A catalogue expression that cannot be used."""


def parse(text: str) -> exp.Expr:
    """Parse one expression; ExpressionError on a syntax error."""
    try:
        tree = sqlglot.parse_one(text)
    except ParseError as exc:
        first = exc.errors[0]["description"] if exc.errors else str(exc)
        raise ExpressionError(f"cannot parse {text!r}: {first}") from None
    if tree is None:
        raise ExpressionError(f"cannot parse {text!r}")
    return tree


def check(tree: exp.Expr, columns: Iterable[str], params: Mapping[str, ParamValue]) -> list[str]:
    """Every problem of a parsed expression: forbidden constructs, unknown columns and parameters."""
    known = set(columns)
    problems: list[str] = []
    for node in tree.walk(prune=lambda n: not isinstance(n, _ALLOWED)):
        if not isinstance(node, _ALLOWED):
            problems.append(f"{_describe(node)} is not allowed in a metric expression")
        elif isinstance(node, exp.Column):
            if node.table:
                problems.append(f"write {node.name!r} without a table prefix")
            elif node.name not in known:
                problems.append(f"unknown column {node.name!r}")
        elif isinstance(node, exp.Placeholder):
            problems.extend(_check_param(node, params))
    return problems


def _describe(node: exp.Expr) -> str:
    if isinstance(node, exp.Anonymous):
        return f"function {node.name}()"
    if isinstance(node, exp.Func):
        return f"function {node.sql_name()}()"
    return type(node).__name__.lower()


def _check_param(node: exp.Placeholder, params: Mapping[str, ParamValue]) -> list[str]:
    name = node.name
    if not name:
        return ["use named parameters (:name), not '?'"]
    if name not in params:
        return [f"unknown parameter :{name}"]
    if isinstance(params[name], list) and not isinstance(node.parent, exp.In):
        return [f"list parameter :{name} can only be used as `column IN (:{name})`"]
    return []


def literal(value: ParamValue) -> list[exp.Expr]:
    """Typed catalogue values as SQL literals (a list for list parameters)."""
    values = value if isinstance(value, list) else [value]
    out: list[exp.Expr] = []
    for item in values:
        if isinstance(item, bool):
            out.append(exp.Boolean(this=item))
        elif isinstance(item, int | float):
            out.append(exp.Literal.number(item))
        else:
            out.append(exp.Literal.string(str(item)))
    return out


def bind(tree: exp.Expr, params: Mapping[str, ParamValue]) -> exp.Expr:
    """Replace ``:param`` references by literals of the parameter values."""

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.In):
            items: list[exp.Expr] = []
            for item in node.expressions:
                items.extend(literal(params[item.name]) if isinstance(item, exp.Placeholder) else [item])
            return exp.In(this=node.this, expressions=items)
        if isinstance(node, exp.Placeholder):
            return literal(params[node.name])[0]
        return node

    return tree.copy().transform(swap)


def source_columns(src: Source) -> list[str]:
    """Names a catalogue expression on ``src`` may use."""
    extra = list(SPAN_COLUMNS) if src.span else []
    return [*src.columns, *src.computed, *extra]


def resolve(tree: exp.Expr, src: Source, engine: Engine, inner: set[str]) -> exp.Expr:
    """Qualify columns of ``src`` as ``t.col``; inline computed columns, collecting inner ones."""

    def swap(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Column) or node.table not in ("", "t"):
            return node
        computed = src.computed.get(node.name)
        if computed is None:
            if node.table:
                return node
            return col(node.name, "p") if node.name in SPAN_COLUMNS else col(node.name)
        if computed.evaluated_first or computed.build is None:
            inner.add(node.name)
            return col(node.name)
        return resolve(computed.build(engine), src, engine, inner)

    return tree.copy().transform(swap)
