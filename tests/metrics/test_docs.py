"""docs/metrics.md is generated from the catalogue and must not go stale; the engines doc exists."""

from __future__ import annotations

from pathlib import Path

import csqm.metrics
from csqm.metrics import default_catalogue
from csqm.metrics.describe import catalogue_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_metrics_md_is_up_to_date() -> None:
    expected = catalogue_markdown(default_catalogue())
    actual = (DOCS / "metrics.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/metrics.md is stale: run `.venv/bin/python -m csqm.metrics.describe`"


def test_every_metric_is_in_the_docs() -> None:
    text = (DOCS / "metrics.md").read_text(encoding="utf-8")
    for metric_id in default_catalogue().metrics:
        assert f"### `{metric_id}`" in text


def test_engines_doc_explains_the_choice_and_how_to_add_a_dialect() -> None:
    text = (DOCS / "metrics-engines.md").read_text(encoding="utf-8")
    for needle in ("SQLGlot", "Ibis", "Adding a dialect", "ClickHouse", "History"):
        assert needle in text


def test_public_api_is_complete() -> None:
    exported = set(csqm.metrics.__all__)
    assert {"compute_metrics", "kpi_summary", "load_catalogue", "Catalogue", "Metric"} <= exported
    for name in exported:
        assert getattr(csqm.metrics, name) is not None
