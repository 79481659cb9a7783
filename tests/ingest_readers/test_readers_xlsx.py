"""XLSX reading: cell values as text, sheets, row numbers, bad workbooks."""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from csqm.errors import IngestError
from csqm.ingest.formats.xlsx_format import cell_text
from csqm.ingest.readers import RowProblem, open_source


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ("", None),
        ("007", "007"),
        (" 张三 ", " 张三 "),
        (42, "42"),
        (-7, "-7"),
        (13800138000.0, "13800138000"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (1e20, "1e+20"),
        (True, "true"),
        (False, "false"),
        (datetime(2026, 1, 5, 9, 30), "2026-01-05 09:30:00"),
        (datetime(2026, 1, 5), "2026-01-05 00:00:00"),
        (datetime(2026, 1, 5, 9, 30, 1, 500), "2026-01-05 09:30:01.000500"),
        (date(2026, 1, 5), "2026-01-05"),
        (time(9, 5, 3), "09:05:03"),
        (timedelta(hours=30, minutes=1, seconds=2), "30:01:02"),
    ],
)
def test_cell_text(value: object, text: str | None) -> None:
    assert cell_text(value) == text


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_values_rows_and_numbers(tmp_path: Path, read) -> None:
    rows: list[list[object]] = [
        ["工号", " 客户 ", "接通时间", "时长", "已解决"],
        ["007", "张三", datetime(2026, 1, 5, 9, 30, 15), 125, True],
        [None, None, None, None, None],  # blank row: skipped, still counted
        ["0100", "李四", datetime(2026, 1, 6), 12.5, False],
        [8, "王五", None, None, None],
    ]
    path = _workbook(tmp_path / "calls.xlsx", {"通话": rows, "other": [["x"], ["y"]]})
    result = read(path, rows=2)
    assert result.source.format == "xlsx" and result.source.encoding is None
    assert result.source.columns == ["工号", "客户", "接通时间", "时长", "已解决"]
    assert result.rows == [
        {"工号": "007", "客户": "张三", "接通时间": "2026-01-05 09:30:15", "时长": "125", "已解决": "true"},
        {
            "工号": "0100",
            "客户": "李四",
            "接通时间": "2026-01-06 00:00:00",
            "时长": "12.5",
            "已解决": "false",
        },
        {"工号": "8", "客户": "王五", "接通时间": None, "时长": None, "已解决": None},
    ]
    assert result.numbers == [1, 3, 4]
    assert all(dtype is np.dtype(object) for dtype in result.frame.dtypes)


def test_sheet_choice(tmp_path: Path, read) -> None:
    path = _workbook(tmp_path / "x.xlsx", {"first": [["a"], ["1"]], "second": [["b"], ["2"], ["3"]]})
    assert read(path).rows == [{"a": "1"}]
    assert read(path, sheet="second").rows == [{"b": "2"}, {"b": "3"}]
    with pytest.raises(IngestError, match=r"x\.xlsx has no sheet named 'third'; its sheets are 'first', 'second'\."):
        open_source(path, sheet="third")


def test_header_after_empty_rows_and_trailing_empty_header_cells(tmp_path: Path, read) -> None:
    rows: list[list[object]] = [
        [],
        [None, None],
        ["id", "name", None, None],
        ["1", "a"],
        ["2", None, None, "X"],
    ]
    path = _workbook(tmp_path / "x.xlsx", {"s": rows})
    result = read(path)
    assert result.source.columns == ["id", "name"]
    assert result.rows == [{"id": "1", "name": "a"}]
    assert result.numbers == [1]
    assert result.problems == [
        RowProblem(2, "*row*", "row has a value in column 4, but the header names only 2 columns")
    ]


def test_header_only_and_empty_sheet(tmp_path: Path, read) -> None:
    path = _workbook(tmp_path / "x.xlsx", {"s": [["id", "name"]], "empty": []})
    result = read(path)
    assert result.source.columns == ["id", "name"] and result.chunks == []
    with pytest.raises(IngestError, match=r"Sheet 'empty' of .*x\.xlsx is empty"):
        open_source(path, sheet="empty")


@pytest.mark.parametrize(("header", "fragment"), [(["id", "id"], "'id'"), (["id", None, "x"], "column 2")])
def test_bad_header(tmp_path: Path, header: list[object], fragment: str) -> None:
    path = _workbook(tmp_path / "x.xlsx", {"s": [header, ["1", "2", "3"]]})
    with pytest.raises(IngestError, match=r"x\.xlsx") as info:
        open_source(path)
    assert fragment in str(info.value)


def test_many_rows_cross_chunks(tmp_path: Path, read) -> None:
    rows: list[list[object]] = [["id", "n"]] + [[f"{i:05d}", i] for i in range(1, 1001)]
    path = _workbook(tmp_path / "x.xlsx", {"s": rows})
    result = read(path, rows=333)
    assert [len(c.frame) for c in result.chunks] == [333, 333, 333, 1]
    assert result.numbers == list(range(1, 1001))
    assert result.rows[-1] == {"id": "01000", "n": "1000"}


def test_truncated_workbook(tmp_path: Path) -> None:
    good = _workbook(tmp_path / "good.xlsx", {"s": [["id"], ["1"]]})
    path = tmp_path / "bad.xlsx"
    path.write_bytes(good.read_bytes()[:300])
    with pytest.raises(IngestError, match=r"bad\.xlsx cannot be read as an Excel \(xlsx\) workbook: it is damaged\."):
        open_source(path)


def test_workbook_with_a_broken_sheet(tmp_path: Path) -> None:
    good = _workbook(tmp_path / "good.xlsx", {"s": [["id"]] + [[str(i)] for i in range(100)]})
    path = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    with pytest.raises(IngestError, match=r"bad\.xlsx .*damaged"):
        list(open_source(path).chunks())
