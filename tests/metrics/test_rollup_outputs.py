"""The numpy evaluator of output expressions agrees with DuckDB, NULLs included, or refuses."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from sqlglot import exp, parse_one

from csqm.metrics.rollup.outputs import Unsupported, evaluate

#: Rows of measure columns: ordinary values, zeros, NULLs in every position.
SUMS = pd.DataFrame(
    {
        "k": ["a", "b", "c", "d", "e"],
        "m0": [3.0, 0.0, None, 5.0, None],
        "m1": [4.0, 0.0, 2.0, None, None],
        "m2": [1.5, -2.0, None, 7.0, 0.0],
    }
)

EXPRESSIONS = [
    "CASE WHEN COALESCE(m1, 0) <> 0 THEN CAST(COALESCE(m0, 0) AS DOUBLE) * 100 / COALESCE(m1, 0) END",
    "CASE WHEN m1 > 0 THEN m0 END",  # NULL > 0 is not true
    "CASE WHEN m0 <> 0 THEN 1 ELSE 2 END",  # NULL <> 0 is not true either: ELSE
    "COALESCE(m0, m2, 7)",
    "LEAST(m0, m1, m2)",  # skips NULLs; NULL only when all are
    "(m0 - m2) * 0.000277777777777778",
    "-m2 + 1",
    "CASE WHEN m0 >= 3 AND m1 < 5 THEN m2 END",
    "NULL",
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_agrees_with_duckdb(text: str) -> None:
    got = evaluate(SUMS, ["k"], {"out": parse_one(text, read="duckdb")})
    assert got["k"].tolist() == SUMS["k"].tolist()
    con = duckdb.connect()
    con.register("sums", SUMS)
    want = con.sql(f"SELECT {text} AS out FROM sums ORDER BY k").df()["out"].astype("float64").tolist()
    have = got["out"].tolist()
    assert len(have) == len(want)
    for h, w in zip(have, want, strict=True):
        assert (math.isnan(h) and math.isnan(w)) or h == w, (text, have, want)


@pytest.mark.parametrize(
    "text",
    ["m0 / m1", "UPPER(k)", "CAST(m0 AS INT)", "'text'", "CASE m0 WHEN 1 THEN 2 END", "m0 OR m1", "unknown_col"],
    ids=["division-by-zero", "function", "integer-cast", "string", "case-operand", "or", "unknown-column"],
)
def test_refuses_what_it_cannot_do_like_sql(text: str) -> None:
    node = parse_one(text, read="duckdb")
    expression = exp.Case(ifs=[exp.If(this=node, true=exp.Literal.number(1))]) if text == "m0 OR m1" else node
    with pytest.raises(Unsupported):
        evaluate(SUMS, ["k"], {"out": expression})


def test_no_rows_and_no_keys() -> None:
    empty = SUMS.iloc[0:0]
    got = evaluate(empty, ["k"], {"out": parse_one("COALESCE(m0, 0)")})
    assert got.empty and list(got.columns) == ["k", "out"]
    one = pd.DataFrame({"m0": [np.nan]})
    assert evaluate(one, [], {"n": parse_one("COALESCE(m0, 0)")})["n"].tolist() == [0.0]
