"""Rollup answers equal raw answers: every metric, many slices, both engines, on generated data.

The demo generator's data (3,000 contacts over four weeks, ingested and inspected) is loaded once into
DuckDB and copied to PostgreSQL; each engine gets its rollup. ``rollup.compute_metrics`` must return
the frame ``compute_metrics`` returns — same rows, order, dtypes, targets, statuses — with values
equal to 1e-12 relative (sums of fractional seconds may add in another order).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from csqm.metrics import compute_metrics, default_catalogue, rollup
from csqm.settings import Settings
from csqm.store import Store, open_store
from csqm.store.migrations import capability_tables
from csqm.store.schema import TABLES
from tests.conftest import PG_URL, ensure_postgres
from tests.metrics.helpers import d

ALL_TABLES = (*TABLES, *capability_tables())
RANGE: dict[str, Any] = {"start": d("2026-01-05"), "end": d("2026-02-01")}

#: Metrics the rollup cannot hold exactly, always answered raw: percentiles, distinct customers,
#: employment spans.
RAW_ONLY = {
    "ticket_resolution_p50",
    "ticket_resolution_p90",
    "repurchase_rate",
    "complainer_repurchase_rate",
    "attrition",
}

SLICES: list[dict[str, Any]] = [
    dict(RANGE),
    {"by": ("team",), "grain": "week", **RANGE},
    {"by": ("channel",), "grain": "month", **RANGE},
    {"by": ("centre",), "grain": "quarter", **RANGE},
    {"by": ("agent",), "grain": "day", "where": "team=T01", **RANGE},
    {"by": ("business_line",), "where": "channel!=bot", **RANGE},
    {"by": ("team", "channel"), "where": "channel=phone,chat;business_line=ToB", **RANGE},
    {"by": ("channel",)},  # no range at all (attrition needs one with a grain)
    {"by": ("team",), "start": d("2026-01-12"), "end": d("2026-01-12")},  # one day
    {"by": ("team",), "start": d("2030-01-01"), "end": d("2030-01-31")},  # no data
]


def _id(cut: dict[str, Any]) -> str:
    return "-".join(str(cut.get(k)) for k in ("by", "grain", "where", "start"))


@pytest.fixture(scope="module")
def duck(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    from csqm.generate import generate
    from csqm.ingest import ingest_directory
    from csqm.inspection import inspect

    root = tmp_path_factory.mktemp("rollup")
    generate(root / "in", interactions=3000, seed=11, weeks=4)
    settings = Settings(data_dir=root / "data", secret="rollup-secret-0123456789")
    store = open_store(settings=settings)
    ingest_directory(root / "in", store=store, settings=settings)
    inspect(store, sentiment=False)
    rollup.refresh(store, default_catalogue())
    yield store
    store.close()


@pytest.fixture(scope="module")
def pg(duck: Store) -> Iterator[Store]:
    ensure_postgres()
    store = open_store(f"{PG_URL}?schema=csqm_rollup_{uuid.uuid4().hex[:8]}", settings=Settings(data_dir=Path("/tmp")))
    for decl in ALL_TABLES:
        data = duck.con.sql(f'SELECT * FROM "{decl.name}"').to_arrow_table()  # type: ignore[attr-defined]
        store.load_arrow(decl.name, data)
    rollup.refresh(store, default_catalogue())
    yield store
    store.drop_schema()  # type: ignore[attr-defined]
    store.close()


@pytest.mark.parametrize("engine", ["duck", "pg"])
@pytest.mark.parametrize("cut", SLICES, ids=_id)
def test_rollup_equals_raw(request: pytest.FixtureRequest, engine: str, cut: dict[str, Any]) -> None:
    store: Store = request.getfixturevalue(engine)
    cat = default_catalogue()
    fast = rollup.compute_metrics(store, catalogue=cat, record_history=False, **cut)
    raw = compute_metrics(store, catalogue=cat, record_history=False, **cut)
    pd.testing.assert_frame_equal(fast, raw, rtol=1e-12, atol=1e-9)
    assert fast.attrs["skipped"] == raw.attrs["skipped"]
    rolled = set(fast.attrs["rollup"])
    asked = set(raw["metric"])
    assert rolled == asked - RAW_ONLY, sorted(rolled ^ (asked - RAW_ONLY))
    assert len(rolled) >= 30  # most of the catalogue is rolled up: the comparison is not vacuous
    if "2030" not in str(cut.get("start")):
        assert raw["value"].notna().sum() >= 30


@pytest.mark.parametrize("engine", ["duck", "pg"])
def test_counts_are_bit_equal(request: pytest.FixtureRequest, engine: str) -> None:
    """Count ratios (answer rate, FCR, QA pass rate …) are sums of integers: equal to the last bit."""
    store: Store = request.getfixturevalue(engine)
    ids = ["answer_rate", "fcr", "fcr_7d", "qa_pass_rate", "forbidden_phrase_rate", "channel_coverage", "nps"]
    cut = {"by": ("team",), "grain": "week", **RANGE}
    fast = rollup.compute_metrics(store, ids, record_history=False, **cut)
    raw = compute_metrics(store, ids, record_history=False, **cut)
    assert fast.attrs["rollup"] == ids
    for column in ("value", "numerator", "denominator", "sample_size"):
        assert fast[column].fillna(-1).tolist() == raw[column].fillna(-1).tolist(), column


@pytest.mark.parametrize(
    "cut",
    [
        {"grain": "hour", **RANGE},  # finer than a day
        {"by": ("segment",), **RANGE},  # a dimension the rollup does not keep
        {"by": ("team",), "where": "topic=billing", **RANGE},  # a filter on one
        {"by": ("team",), "timezone": "Europe/London", **RANGE},  # days of another zone
    ],
    ids=["hour", "segment", "topic-filter", "other-zone"],
)
def test_requests_the_rollup_cannot_answer_go_raw(duck: Store, cut: dict[str, Any]) -> None:
    ids = ["answer_rate", "aht", "qa_pass_rate"]
    fast = rollup.compute_metrics(duck, ids, record_history=False, **cut)
    raw = compute_metrics(duck, ids, record_history=False, **cut)
    assert fast.attrs["rollup"] == []
    pd.testing.assert_frame_equal(fast, raw)


def test_turned_off_by_environment(duck: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSQM_ROLLUP", "off")
    assert not rollup.enabled()
    assert rollup.compute_metrics(duck, ["answer_rate"], record_history=False).attrs["rollup"] == []
    monkeypatch.setenv("CSQM_ROLLUP", "on")
    assert rollup.compute_metrics(duck, ["answer_rate"], record_history=False).attrs["rollup"] == ["answer_rate"]


def test_outputs_are_computed_without_sql_fallback(duck: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalogue's output expressions are all within the numpy evaluator's reach, zero
    denominators (agents without phone calls …) included: the slower SQL path is not taken."""
    from csqm.metrics.rollup import answer
    from csqm.metrics.rollup.outputs import evaluate

    refused: list[str] = []

    def watched(*args: Any) -> pd.DataFrame:
        try:
            return evaluate(*args)
        except answer.Unsupported as exc:
            refused.append(str(exc))
            raise

    monkeypatch.setattr(answer, "evaluate", watched)
    monkeypatch.setattr(answer, "_template_cache", {})
    for cut in SLICES:
        rollup.compute_metrics(duck, record_history=False, **cut)
    assert refused == []
