"""docs/data-model.md must match the schema declarations."""

from __future__ import annotations

from pathlib import Path

from csqm.store.docs import render
from csqm.store.migrations import capability_tables
from csqm.store.schema import TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"


def test_data_model_doc_is_generated_from_the_schema() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/data-model.md is stale: run `python -m csqm.store.docs > docs/data-model.md`"
    )


def test_every_column_is_documented_with_meaning() -> None:
    for decl in (*TABLES, *capability_tables()):
        for col in decl.columns:
            assert col.doc.strip(), f"{decl.name}.{col.name} has no description"
        assert decl.doc.strip()
