"""Golden files of the SQL generated for every metric on every engine.

A change in generated SQL must be deliberate: regenerate with
``CSQM_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/metrics/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from csqm.metrics import ENGINES, Request, Window, compile_metrics, default_catalogue
from tests.metrics.helpers import d

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CSQM_UPDATE_GOLDEN") == "1"
REQUEST = Request(grain="week", window=Window.inclusive("Asia/Shanghai", d("2026-01-01"), d("2026-03-31")))
CASES = [(m.id, engine) for m in default_catalogue().metrics.values() for engine in ENGINES]


def render(metric_id: str, engine: str) -> str:
    compiled = compile_metrics(default_catalogue(), [metric_id], REQUEST, ENGINES[engine], pretty=True)
    params = ", ".join(repr(p) for p in compiled.params)
    head = f"-- {metric_id} on {engine}, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)\n-- params: {params}\n"
    return head + compiled.sql + "\n"


@pytest.mark.parametrize(("metric_id", "engine"), CASES, ids=[f"{m}-{e}" for m, e in CASES])
def test_generated_sql_matches_the_golden_file(metric_id: str, engine: str) -> None:
    path = GOLDEN / f"{metric_id}.{engine}.sql"
    text = render(metric_id, engine)
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}; run with CSQM_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} changed; review and regenerate"


def test_no_stale_golden_files() -> None:
    expected = {f"{m}.{e}.sql" for m, e in CASES}
    stale = sorted(p.name for p in GOLDEN.glob("*.sql") if p.name not in expected)
    if UPDATE:
        for name in stale:
            (GOLDEN / name).unlink()
        stale = []
    assert not stale, f"golden files of metrics that no longer exist: {stale}"
