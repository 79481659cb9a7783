"""Files, formats, determinism and the summary of csqm.generate."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from csqm.generate import GenerationSummary, generate
from csqm.ingest.canonical import canonical_fields
from tests.generate.conftest import files_bytes
from tests.generate.signals import KINDS, TIMESTAMPS

TS = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def test_one_file_per_kind_with_exactly_the_canonical_header(main_run: GenerationSummary) -> None:
    assert sorted(p.name for p in main_run.out_dir.iterdir()) == sorted(f"{k}.csv" for k in KINDS)
    assert main_run.files == [main_run.out_dir / f"{k}.csv" for k in KINDS]
    for kind in KINDS:
        with (main_run.out_dir / f"{kind}.csv").open(encoding="utf-8", newline="") as fh:
            assert tuple(next(csv.reader(fh))) == canonical_fields(kind), kind


def test_summary_counts_the_rows_of_every_file(main_run: GenerationSummary, zh: dict[str, pd.DataFrame]) -> None:
    assert main_run.rows == {kind: len(zh[kind]) for kind in KINDS}
    assert main_run.rows["interactions"] == 8000
    assert 8 <= main_run.rows["utterances"] / main_run.rows["interactions"] <= 12
    assert all(main_run.rows[k] > 0 for k in KINDS)
    assert main_run.planted["forbidden_team"].startswith("T05")
    assert main_run.planted["launch_week"] == "2026-02-02 .. 2026-02-08"


def test_csv_encodings_of_timestamps_dates_and_booleans(main_run: GenerationSummary) -> None:
    inter = pd.read_csv(main_run.out_dir / "interactions.csv", dtype=str, keep_default_na=False)
    for col in ("offered_at", "ended_at"):
        assert inter[col].str.match(TS).all()
    assert inter.answered_at[inter.answered_at != ""].str.match(TS).all()
    for col in ("abandoned", "resolved", "handled_by_bot", "escalated"):
        assert set(inter[col]) == {"true", "false"}
    agents = pd.read_csv(main_run.out_dir / "agents.csv", dtype=str, keep_default_na=False)
    assert agents.hired_on.str.match(DAY).all()
    assert agents.left_on[agents.left_on != ""].str.match(DAY).all()
    assert (agents.left_on != "").sum() >= 1


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    for fmt in ("csv", "parquet"):
        a = generate(tmp_path / f"a-{fmt}", interactions=700, seed=3, fmt=fmt)  # type: ignore[arg-type]
        b = generate(tmp_path / f"b-{fmt}", interactions=700, seed=3, fmt=fmt)  # type: ignore[arg-type]
        assert files_bytes(a.out_dir) == files_bytes(b.out_dir)
    c = generate(tmp_path / "c", interactions=700, seed=4)
    other, same = files_bytes(c.out_dir), files_bytes(tmp_path / "a-csv")
    for kind in ("customers", "interactions", "utterances", "surveys", "orders"):
        assert other[f"{kind}.csv"] != same[f"{kind}.csv"], kind


def test_parquet_has_the_same_columns_and_values_as_csv(tmp_path: Path) -> None:
    generate(tmp_path / "csv", interactions=500, seed=5)
    generate(tmp_path / "pq", interactions=500, seed=5, fmt="parquet")
    for kind in KINDS:
        table = pq.read_table(tmp_path / "pq" / f"{kind}.parquet")
        assert tuple(table.schema.names) == canonical_fields(kind)
        from_pq = table.to_pandas()
        from_csv = pd.read_csv(tmp_path / "csv" / f"{kind}.csv")
        assert len(from_pq) == len(from_csv), kind
        for col in from_csv.columns:
            if col in TIMESTAMPS:
                left = pd.to_datetime(from_csv[col])
                assert left.equals(pd.Series(from_pq[col]).astype(left.dtype)), (kind, col)
    inter = pq.read_table(tmp_path / "pq" / "interactions.parquet").schema
    assert str(inter.field("offered_at").type) == "timestamp[ms]"  # Parquet has no second unit
    assert str(inter.field("abandoned").type) == "bool"


def test_progress_reports_every_stage_up_to_its_total(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    generate(tmp_path, interactions=300, progress=lambda s, d, t: calls.append((s, d, t)))
    last = {stage: (done, total) for stage, done, total in calls}
    assert set(last) == {"organisation", "customers", "interactions", "knowledge", "orders", "workforce"}
    assert all(done == total for done, total in last.values())
    assert last["interactions"] == (300, 300)


def test_other_start_and_length_and_bad_arguments(tmp_path: Path) -> None:
    run = generate(tmp_path / "x", interactions=400, start=date(2025, 6, 2), weeks=6)
    inter = pd.read_csv(run.out_dir / "interactions.csv", parse_dates=["offered_at"])
    assert inter.offered_at.min() >= pd.Timestamp("2025-06-02")
    assert inter.offered_at.max() < pd.Timestamp("2025-07-15")
    with pytest.raises(ValueError, match="interactions"):
        generate(tmp_path / "y", interactions=0)
    with pytest.raises(ValueError, match="weeks"):
        generate(tmp_path / "y", interactions=10, weeks=2)
    with pytest.raises(ValueError, match="format"):
        generate(tmp_path / "y", interactions=10, fmt="xlsx")  # type: ignore[arg-type]
