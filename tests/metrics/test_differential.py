"""Differential test: on a generated dataset, every KPI on both engines equals plain pandas.

The pandas side (``tests/metrics/reference.py``) is written independently of the SQL compiler; the
data is the demo generator's, ingested once into DuckDB and copied to PostgreSQL.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from csqm.metrics import compute_metrics
from csqm.settings import Settings
from csqm.store import Store, open_store
from csqm.store.migrations import capability_tables
from csqm.store.schema import TABLES
from tests.conftest import PG_URL, ensure_postgres
from tests.metrics.helpers import d
from tests.metrics.reference import Slice, kpis

ALL_TABLES = (*TABLES, *capability_tables())
RANGE = {"start": d("2026-01-05"), "end": d("2026-02-01")}
SLICES = [
    Slice(**RANGE),
    Slice(by=("team",), grain="week", **RANGE),
    Slice(by=("channel",), grain="month", **RANGE),
    Slice(by=("segment",), **RANGE),
]


@pytest.fixture(scope="module")
def duck(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    from csqm.generate import generate
    from csqm.ingest import ingest_directory
    from csqm.inspection import inspect

    root = tmp_path_factory.mktemp("differential")
    generate(root / "in", interactions=3000, seed=11, weeks=4)
    settings = Settings(data_dir=root / "data", secret="differential-secret-0123")
    store = open_store(settings=settings)
    ingest_directory(root / "in", store=store, settings=settings)
    inspect(store)
    yield store
    store.close()


@pytest.fixture(scope="module")
def pg(duck: Store) -> Iterator[Store]:
    ensure_postgres()
    store = open_store(f"{PG_URL}?schema=csqm_diff_{uuid.uuid4().hex[:8]}", settings=Settings(data_dir=Path("/tmp")))
    for decl in ALL_TABLES:
        data = duck.con.sql(f'SELECT * FROM "{decl.name}"').to_arrow_table()  # type: ignore[attr-defined]
        store.load_arrow(decl.name, data)
    yield store
    store.drop_schema()  # type: ignore[attr-defined]
    store.close()


@pytest.fixture(scope="module")
def tables(duck: Store) -> dict[str, pd.DataFrame]:
    return {decl.name: duck.query(f'SELECT * FROM "{decl.name}"') for decl in ALL_TABLES}


@pytest.fixture(scope="module")
def reference(tables: dict[str, pd.DataFrame]) -> Callable[[Slice], pd.DataFrame]:
    """The pandas KPIs of a slice, computed once for both engines."""
    done: dict[Slice, pd.DataFrame] = {}

    def get(cut: Slice) -> pd.DataFrame:
        if cut not in done:
            done[cut] = kpis(tables, cut)
        return done[cut]

    return get


def _norm(key: object) -> object:
    if key is None or (isinstance(key, float) and math.isnan(key)) or key is pd.NA:
        return None
    return pd.Timestamp(key) if isinstance(key, pd.Timestamp) else key


def _as_map(frame: pd.DataFrame, keys: list[str]) -> dict[tuple[object, ...], float]:
    out = {}
    for row in frame.to_dict("records"):
        value = row["value"]
        if value is None or pd.isna(value):
            continue
        out[(row["metric"], *(_norm(row[k]) for k in keys))] = float(value)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["duck", "pg"])
@pytest.mark.parametrize("cut", SLICES, ids=lambda s: f"{'-'.join(s.by) or 'all'}-{s.grain or 'range'}")
def test_every_kpi_equals_pandas(
    request: pytest.FixtureRequest, reference: Callable[[Slice], pd.DataFrame], engine: str, cut: Slice
) -> None:
    store: Store = request.getfixturevalue(engine)
    got = compute_metrics(store, by=cut.by, grain=cut.grain, start=cut.start, end=cut.end, record_history=False)
    expected = reference(cut)
    keys = cut.keys()
    assert set(got["metric"]) == set(expected["metric"]), set(got["metric"]) ^ set(expected["metric"])
    have, want = _as_map(got, keys), _as_map(expected, keys)
    wrong = [
        f"{k}: sql {have.get(k)} pandas {want.get(k)}"
        for k in sorted(set(have) | set(want), key=str)
        if k not in have or k not in want or not math.isclose(have[k], want[k], rel_tol=1e-9, abs_tol=1e-9)
    ]
    assert not wrong, f"{len(wrong)} differences:\n" + "\n".join(wrong[:40])
    assert len(want) > 40  # the comparison is not vacuous
