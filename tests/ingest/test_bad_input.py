"""Every kind of bad input the issue lists: a clear error or a rejected row, nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from csqm.errors import IngestError
from csqm.ingest import ingest_file
from csqm.settings import Settings
from csqm.store import Store
from tests.ingest.helpers import HEADER, write

GOOD = "i1,phone,2026-01-05 09:00:00,2026-01-05 09:00:10,2026-01-05 09:05:00,280,a1,13812345678,物流查询"


def _reasons(store: Store) -> list[tuple[int, str, str]]:
    frame = store.query("SELECT row_number, field, reason FROM quarantine ORDER BY row_number, field")
    return [(int(r), f, why) for r, f, why in frame.itertuples(index=False)]


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        ("i2,fax,2026-01-05 09:00:00,,,,a1,,x", "channel", "unknown channel value"),
        (
            "i2,phone,2026-01-05 09:00:00,,2026-01-05 08:00:00,,a1,,x",
            "ended_at",
            "ended_at is before offered_at",
        ),
        ("i2,phone,2026-01-05 09:00:00,,,-3,a1,,x", "talk_seconds", "must not be negative"),
        ("i2,phone,2026-01-05 09:00:00,,,abc,a1,,x", "talk_seconds", "not a number"),
        ("i2,phone,yesterday-ish,,,,a1,,x", "offered_at", "not a date-time"),
        ("i2,phone,,,,,a1,,x", "offered_at", "required field offered_at is empty"),
        ("i2,phone,2026-01-05 09:00:00,,,,a1,12ab,x", "customer_phone", "not a valid phone"),
        (
            "i1,phone,2026-01-05 10:00:00,,,,a1,,dup",
            "interaction_id",
            "duplicate interaction_id: also at row 1",
        ),
    ],
)
def test_bad_rows_are_rejected_with_row_field_and_reason(
    tmp_path: Path, store: Store, settings: Settings, row: str, field: str, reason: str
) -> None:
    path = write(tmp_path / "i.csv", [HEADER, GOOD, row])
    summary = ingest_file(path, "interactions", store=store, settings=settings)
    assert (summary.inserted, summary.rejected) == (1, 1)
    [(row_number, got_field, got_reason)] = _reasons(store)
    assert (row_number, got_field) == (2, field)
    assert reason in got_reason
    assert store.count("interactions") == 1
    assert summary.rejects_file is not None and summary.rejects_file.exists()
    assert reason in summary.rejects_file.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("scores", "field", "reason"),
    [
        ("6,,", "csat", "between 1 and 5"),
        ("0,,", "csat", "between 1 and 5"),
        (",11,", "nps", "between 0 and 10"),
        (",-1,", "nps", "between 0 and 10"),
        (",,8", "ces", "between 1 and 7"),
        ("great,,", "csat", "not a number"),
    ],
)
def test_out_of_range_or_non_numeric_scores(
    tmp_path: Path, duck: Store, settings: Settings, scores: str, field: str, reason: str
) -> None:
    path = write(tmp_path / "s.csv", ["survey_id,csat,nps,ces", "s1,5,10,7", f"s2,{scores}"])
    summary = ingest_file(path, "surveys", store=duck, settings=settings)
    assert (summary.inserted, summary.rejected) == (1, 1)
    [(row_number, got_field, got_reason)] = _reasons(duck)
    assert (row_number, got_field) == (2, field) and reason in got_reason


def test_survey_sent_but_not_answered_is_kept_with_null_scores(tmp_path: Path, duck: Store, settings: Settings) -> None:
    path = write(tmp_path / "s.csv", ["survey_id,sent_at,answered_at,csat", "s1,2026-01-05 10:00:00,,"])
    assert ingest_file(path, "surveys", store=duck, settings=settings).inserted == 1
    assert pd.isna(duck.scalar("SELECT csat FROM surveys"))


def test_mixed_date_formats_in_one_file(tmp_path: Path, duck: Store, settings: Settings) -> None:
    rows = [
        "i1,phone,2026-01-05 09:00:00,,,,a1,,x",
        "i2,phone,2026/01/05 09:00,,,,a1,,x",
        "i3,phone,2026年1月5日 9:00,,,,a1,,x",
        "i4,phone,2026-01-05T09:00:00+08:00,,,,a1,,x",
        "i5,phone,2026-01-05T01:00:00Z,,,,a1,,x",
    ]
    summary = ingest_file(write(tmp_path / "i.csv", [HEADER, *rows]), "interactions", store=duck, settings=settings)
    assert summary.inserted == 5
    stamps = duck.query("SELECT DISTINCT offered_at FROM interactions")["offered_at"].tolist()
    assert stamps == [pd.Timestamp("2026-01-05 01:00:00")]


def test_missing_required_column_fails_the_file(tmp_path: Path, duck: Store, settings: Settings) -> None:
    path = write(tmp_path / "i.csv", ["interaction_id,channel", "i1,phone"])
    with pytest.raises(IngestError, match=r"missing required column.*offered_at"):
        ingest_file(path, "interactions", store=duck, settings=settings)
    assert duck.count("interactions") == 0 and duck.count("ingest_batches") == 0


def test_empty_file_is_a_clear_error(tmp_path: Path, duck: Store, settings: Settings) -> None:
    path = tmp_path / "i.csv"
    path.write_bytes(b"")
    with pytest.raises(IngestError, match="empty"):
        ingest_file(path, "interactions", store=duck, settings=settings)


def test_header_only_file_loads_nothing(tmp_path: Path, duck: Store, settings: Settings) -> None:
    summary = ingest_file(write(tmp_path / "i.csv", [HEADER]), "interactions", store=duck, settings=settings)
    assert (summary.rows_read, summary.inserted, summary.rejected) == (0, 0, 0)


def test_wrong_encoding_is_detected_or_named(tmp_path: Path, duck: Store, settings: Settings) -> None:
    # GBK bytes are decoded automatically...
    gbk = write(tmp_path / "gbk.csv", [HEADER, GOOD], encoding="gbk")
    assert ingest_file(gbk, "interactions", store=duck, settings=settings).inserted == 1
    assert duck.scalar("SELECT topic FROM interactions") == "物流查询"
    # ...but forcing a wrong encoding is a clear error naming the file, and nothing is stored
    with pytest.raises(IngestError, match=r"gbk\.csv"):
        ingest_file(gbk, "interactions", store=duck, settings=settings, encoding="utf-8")


def test_undecodable_bytes_are_a_clear_error(tmp_path: Path, duck: Store, settings: Settings) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes((HEADER + "\n").encode() + b"i1,phone,\xff\xfe\xfd\x80\x81\xff,,,,a1,,x\n")
    with pytest.raises(IngestError, match=r"bad\.csv.*(decode|encoding)"):
        ingest_file(path, "interactions", store=duck, settings=settings)
    assert duck.count("interactions") == 0


def test_huge_field_is_rejected_not_stored(tmp_path: Path, duck: Store, settings: Settings) -> None:
    huge = "很" * 200_000
    path = write(tmp_path / "u.csv", ["interaction_id,seq,speaker,text", "i1,1,agent,您好", f"i1,2,customer,{huge}"])
    summary = ingest_file(path, "utterances", store=duck, settings=settings)
    assert (summary.inserted, summary.rejected) == (1, 1)
    assert "longer than 100,000" in _reasons(duck)[0][2]


def test_truncated_last_line(tmp_path: Path, duck: Store, settings: Settings) -> None:
    path = tmp_path / "i.csv"
    path.write_text(HEADER + "\n" + GOOD + '\ni2,phone,2026-01-05 09:00:00,,,,a1,,"truncat', encoding="utf-8")
    summary = ingest_file(path, "interactions", store=duck, settings=settings)
    assert summary.inserted == 1 and summary.rejected == 1
    assert _reasons(duck)[0][0] == 2


def test_file_that_is_not_what_its_extension_says(tmp_path: Path, duck: Store, settings: Settings) -> None:
    path = write(tmp_path / "i.xlsx", [HEADER, GOOD])
    with pytest.raises(IngestError, match=r"i\.xlsx.*CSV"):
        ingest_file(path, "interactions", store=duck, settings=settings)


def test_unknown_kind_and_missing_file(tmp_path: Path, duck: Store, settings: Settings) -> None:
    with pytest.raises(IngestError, match="Unknown data kind"):
        ingest_file(write(tmp_path / "i.csv", [HEADER]), "calls", store=duck, settings=settings)
    with pytest.raises(IngestError, match="No such file"):
        ingest_file(tmp_path / "nope.csv", "interactions", store=duck, settings=settings)


def test_error_messages_and_quarantine_never_carry_raw_pii(tmp_path: Path, duck: Store, settings: Settings) -> None:
    # an invalid channel on a row whose text fields carry a phone and an e-mail
    path = write(tmp_path / "i.csv", [HEADER, "i2,13812345678,2026-01-05 09:00:00,,,,a1,,x"])
    summary = ingest_file(path, "interactions", store=duck, settings=settings)
    assert summary.rejected == 1
    assert "13812345678" not in duck.query("SELECT * FROM quarantine").to_csv()
    assert summary.rejects_file is not None
    assert "13812345678" not in summary.rejects_file.read_text(encoding="utf-8")
