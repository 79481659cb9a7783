"""The --where language, and that user values never reach SQL text."""

from __future__ import annotations

import pytest

from csqm.metrics import (
    Filter,
    FilterError,
    Request,
    Window,
    compile_metrics,
    compute_metrics,
    default_catalogue,
    parse_where,
)
from csqm.metrics.engines import ENGINES
from csqm.store import Store
from tests.metrics.helpers import load, one, ts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("channel=phone", (Filter("channel", ("phone",)),)),
        (
            "channel=phone,chat;business_line=ToB",
            (Filter("channel", ("phone", "chat")), Filter("business_line", ("ToB",))),
        ),
        (" topic != billing , refund ; ", (Filter("topic", ("billing", "refund"), negate=True),)),
        ("team=上海一组", (Filter("team", ("上海一组",)),)),
        ("", ()),
    ],
)
def test_parse(text: str, expected: tuple[Filter, ...]) -> None:
    assert parse_where(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour=red", "unknown dimension 'colour'"),
        ("channel=fax", "unknown channel 'fax'"),
        ("channel", "is not `dimension=value"),
        ("channel=", "is not `dimension=value"),
        ("channel = phone OR 1=1; business_line=B2B", "unknown channel 'phone OR 1=1'"),
    ],
)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message.replace("(", r"\(")):
        parse_where(text)


def test_all_errors_are_reported_together() -> None:
    with pytest.raises(FilterError) as caught:
        parse_where("colour=red;channel=fax")
    assert "colour" in str(caught.value) and "fax" in str(caught.value)


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_filter_values_are_parameters_not_sql_text(engine: str) -> None:
    hostile = "x'); DROP TABLE interactions; --"
    request = Request(filters=(Filter("topic", (hostile,)),), window=Window("Asia/Shanghai"))
    compiled = compile_metrics(default_catalogue(), ["aht"], request, ENGINES[engine])
    assert "DROP" not in compiled.sql and hostile in compiled.params


def _contacts() -> list[dict[str, object]]:
    base = {
        "channel": "phone",
        "direction": "inbound",
        "offered_at": ts("2026-03-02 02:00"),
        "answered_at": ts("2026-03-02 02:00:10"),
        "talk_seconds": 100.0,
    }
    return [
        {**base, "interaction_id": "a", "topic": "billing"},
        {**base, "interaction_id": "b", "topic": "refund", "talk_seconds": 300.0},
        {**base, "interaction_id": "c", "topic": None, "talk_seconds": 500.0},
        {**base, "interaction_id": "d", "topic": "it's 100% ?", "talk_seconds": 700.0},
    ]


def test_filters_on_both_engines(store: Store) -> None:
    load(store, {"interactions": _contacts()})
    assert one(store, "aht", where="topic=billing")["value"] == 100
    assert one(store, "aht", where="topic=billing,refund")["value"] == 200
    assert one(store, "aht", where="topic!=billing")["value"] == 500  # b, c (no topic) and d
    assert one(store, "aht", where="topic=it's 100% ?")["value"] == 700
    assert one(store, "aht", where="topic=x' OR '1'='1")["sample_size"] == 0


def test_several_where_strings_all_hold(store: Store) -> None:
    load(store, {"interactions": _contacts()})
    frame = compute_metrics(store, ["aht"], where=["topic=billing,refund", "topic!=refund"])
    assert frame.at[0, "value"] == 100
