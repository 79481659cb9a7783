"""``append``: rows given as Python lists stored as they are, with the declared types, on both stores."""

from __future__ import annotations

from datetime import datetime

import pytest

from csqm.realtime.writes import append
from csqm.store import Store
from csqm.store.schema import Column, Table

T = Table(
    "append_probe",
    "Scratch table for the test.",
    (
        Column("k", "text", "Key.", nullable=False),
        Column("n", "int", "A count."),
        Column("x", "float", "A measure."),
        Column("ok", "bool", "A flag."),
        Column("at", "timestamp", "A time."),
        Column("note", "text", "Free text."),
    ),
    key=("k",),
    group="system",
    ingestable=False,
)


def _rows(store: Store) -> list[tuple[object, ...]]:
    return store.rows('SELECT "k", "n", "x", "ok", "at", "note" FROM "append_probe" ORDER BY "k"')


def test_values_types_and_nulls_arrive_as_given(store: Store) -> None:
    store.create_tables([T])
    at = datetime(2026, 3, 2, 9, 15, 30, 123456)
    append(
        store,
        T,
        {
            "k": ["a", "b", "会话-1"],
            "n": [1, None, 3],
            "x": [2, 0.5, None],  # an int in a float column is stored as a float
            "ok": [True, False, None],
            "at": [at, None, at],
            "note": [None, None, None],  # nulls only: left out, null all the same
        },
    )
    got = _rows(store)
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in got] == [
        ("a", 1, 2.0, True, None),
        ("b", None, 0.5, False, None),
        ("会话-1", 3, None, None, None),
    ]
    assert [r[4] for r in got] == [at, None, at]
    assert isinstance(got[0][2], float)


def test_a_subset_of_the_columns_and_no_rows(store: Store) -> None:
    store.create_tables([T])
    append(store, T, {"k": [], "n": []})  # nothing to do: no statement
    append(store, T, {})
    append(store, T, {"k": ["only"]})
    assert _rows(store) == [("only", None, None, None, None, None)]


def test_a_stored_key_fails_and_nothing_of_the_rows_is_kept(store: Store) -> None:
    store.create_tables([T])
    append(store, T, {"k": ["a"], "n": [1]})
    with pytest.raises(Exception) as failed, store.transaction():
        append(store, T, {"k": ["z", "a"], "n": [2, 3]})
    assert store.is_key_conflict(failed.value)
    assert _rows(store) == [("a", 1, None, None, None, None)]
