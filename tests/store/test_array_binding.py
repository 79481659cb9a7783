"""How PostgreSQL binds ``?`` placeholders: ``?::type[]`` with a list in binary (cheaper for
psycopg to dump than text), anything else as before; the values stored are the same."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from csqm.store import Store
from csqm.store.postgres_store import _pg_sql


def test_a_cast_array_is_bound_in_binary() -> None:
    sql = "SELECT * FROM unnest(?::text[], ?::double precision[]) WHERE x = ?"
    expected = "SELECT * FROM unnest(%b::text[], %b::double precision[]) WHERE x = %s"
    assert _pg_sql(sql, [["a", None], [1.0], "k"]) == expected


def test_the_type_may_be_written_in_capitals() -> None:  # as csqm.store.ddl writes them
    assert _pg_sql('unnest(?::DOUBLE PRECISION[], ?::TEXT[]) AS u("a", "b")', [[1.0], ["x"]]) == (
        'unnest(%b::DOUBLE PRECISION[], %b::TEXT[]) AS u("a", "b")'
    )


@pytest.mark.parametrize(
    "value",
    [
        ("a", "b"),  # not a list
        "a",
    ],
)
def test_anything_else_stays_text(value: Any) -> None:
    assert _pg_sql("SELECT ?::text[]", [value]) == "SELECT %s::text[]"


def test_placeholders_without_a_cast_and_percent_signs() -> None:
    assert _pg_sql("SELECT ? LIKE '5%' AND y = ANY(?) AND z = ?::int", ["a", ["x"], 3]) == (
        "SELECT %s LIKE '5%%' AND y = ANY(%s) AND z = %s::int"
    )


def test_empty_and_all_null_lists() -> None:
    assert _pg_sql("SELECT ?::bigint[], ?::text[]", [[], [None, None]]) == "SELECT %b::bigint[], %b::text[]"


@pytest.mark.parametrize(
    ("type_", "values"),
    [
        ("text", ["中文", None, 'q"\n,', ""]),
        ("bigint", [1, -(2**40), None]),
        ("double precision", [0.1, None, 1e-300]),
        ("timestamp", [datetime(2026, 1, 5, 1, 30, 0, 123456), None]),
        ("timestamp", ["2026-01-05 01:30:00"]),  # text cast by the server
        ("boolean", [True, False, None]),
        ("text", []),
        ("bigint", [None]),
    ],
)
def test_values_bound_in_binary_come_back_unchanged(pg: Store, type_: str, values: list[Any]) -> None:
    back = pg.rows(f"SELECT array_agg(v ORDER BY n) FROM unnest(?::{type_}[]) WITH ORDINALITY AS u(v, n)", [values])
    expected = [datetime(2026, 1, 5, 1, 30)] if values == ["2026-01-05 01:30:00"] else values
    assert back == [(expected or None,)]
