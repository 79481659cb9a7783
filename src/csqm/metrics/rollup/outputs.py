"""The compiler's output expressions (value, numerator, denominator, sample size), evaluated in numpy.

Planning the SQL that applies some 170 output expressions to the rollup's sums takes DuckDB longer
(30–70 ms) than summing the rollup itself. The expressions are small — CASE, COALESCE, casts to
double, arithmetic, comparisons, LEAST over the measure columns — so they are evaluated here on the
summed rows instead, with SQL's NULL rules: NULL is NaN, arithmetic propagates it, a comparison with
it is not true, COALESCE and LEAST skip it. Anything else (a node type not listed, a division by
zero, which engines treat differently) raises :class:`Unsupported` and the caller runs the SQL.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlglot import exp

Array = np.ndarray


class Unsupported(Exception):
    """An expression this evaluator does not handle exactly like SQL."""


_COMPARE: dict[type[exp.Expr], Callable[[Array, Array], Array]] = {
    exp.GT: np.greater,
    exp.GTE: np.greater_equal,
    exp.LT: np.less,
    exp.LTE: np.less_equal,
    exp.EQ: np.equal,
    exp.NEQ: np.not_equal,
}
_ARITHMETIC: dict[type[exp.Expr], Callable[[Array, Array], Array]] = {
    exp.Add: np.add,
    exp.Sub: np.subtract,
    exp.Mul: np.multiply,
}
_DOUBLES = {exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT}


def evaluate(sums: pd.DataFrame, keys: list[str], outputs: dict[str, exp.Expr]) -> pd.DataFrame:
    """``keys`` and one column per output, computed from the measure columns of ``sums``."""
    n = len(sums)
    columns = {str(c): sums[c].to_numpy(dtype="float64", na_value=np.nan) for c in sums.columns if str(c) not in keys}
    out = sums[keys].reset_index(drop=True)
    values = {name: _value(expression, columns, n) for name, expression in outputs.items()}
    return pd.concat([out, pd.DataFrame(values)], axis=1) if values else out


def _value(node: exp.Expr, columns: dict[str, Array], n: int, active: Array | None = None) -> Array:
    """The expression's values; ``active`` marks the rows whose value is used (CASE branches)."""
    if isinstance(node, exp.Paren):
        return _value(node.this, columns, n, active)
    if isinstance(node, exp.Column):
        if node.name not in columns:
            raise Unsupported(f"unknown column {node.name}")
        return columns[node.name]
    if isinstance(node, exp.Null):
        return np.full(n, np.nan)
    if isinstance(node, exp.Literal):
        if node.is_string:
            raise Unsupported("string literal")
        return np.full(n, float(node.this))
    if isinstance(node, exp.Cast):
        if node.to.this not in _DOUBLES:
            raise Unsupported(f"cast to {node.to.sql()}")
        return _value(node.this, columns, n, active)
    if isinstance(node, exp.Neg):
        return -_value(node.this, columns, n, active)
    if isinstance(node, exp.Coalesce):
        result = _value(node.this, columns, n, active)
        for other in node.expressions:
            result = np.where(np.isnan(result), _value(other, columns, n, active), result)
        return result
    if isinstance(node, exp.Least):
        parts = [_value(node.this, columns, n, active), *(_value(e, columns, n, active) for e in node.expressions)]
        return np.fmin.reduce(parts) if len(parts) > 1 else parts[0]
    if isinstance(node, exp.Case):
        if node.this is not None:
            raise Unsupported("CASE with an operand")
        left = np.ones(n, dtype=bool) if active is None else active
        chosen = []
        for branch in node.args.get("ifs") or []:
            taken = _condition(branch.this, columns, n, left) & left
            chosen.append((taken, _value(branch.args["true"], columns, n, taken)))
            left = left & ~taken
        default = node.args.get("default")
        result = _value(default, columns, n, left) if default is not None else np.full(n, np.nan)
        for taken, value in reversed(chosen):
            result = np.where(taken, value, result)
        return result
    if type(node) in _ARITHMETIC:
        return _ARITHMETIC[type(node)](
            _value(node.this, columns, n, active), _value(node.expression, columns, n, active)
        )
    if isinstance(node, exp.Div):
        top, bottom = _value(node.this, columns, n, active), _value(node.expression, columns, n, active)
        zero = (bottom == 0) & ~np.isnan(top)
        if np.any(zero if active is None else zero & active):
            raise Unsupported("division by zero")
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(top / bottom, dtype="float64")
    raise Unsupported(type(node).__name__)


def _condition(node: exp.Expr, columns: dict[str, Array], n: int, active: Array | None = None) -> Array:
    """True where the condition is true (false and NULL alike are not)."""
    if isinstance(node, exp.Paren):
        return _condition(node.this, columns, n, active)
    if type(node) in _COMPARE:
        left, right = _value(node.this, columns, n, active), _value(node.expression, columns, n, active)
        known = ~(np.isnan(left) | np.isnan(right))
        with np.errstate(invalid="ignore"):
            return np.asarray(_COMPARE[type(node)](left, right) & known, dtype=bool)
    if isinstance(node, exp.And):
        return np.asarray(
            _condition(node.this, columns, n, active) & _condition(node.expression, columns, n, active), dtype=bool
        )
    raise Unsupported(type(node).__name__)
