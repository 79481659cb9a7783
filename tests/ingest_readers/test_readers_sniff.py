"""Format recognition: extension against content, unknown extensions, empty and missing files."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from csqm.errors import IngestError
from csqm.ingest.readers import open_source


def _xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["id", "text"])
    book.active.append(["1", "SECRET"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _parquet_bytes() -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.table({"id": ["1"], "text": ["SECRET"]}), out)
    return out.getvalue()


def _zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("data.csv", "id,text\n1,SECRET\n")
    return out.getvalue()


CONTENT = {
    "csv": b"id,text\n1,SECRET\n",
    "json": b'[{"id": 1, "text": "SECRET"}]',
    "xlsx": _xlsx_bytes(),
    "parquet": _parquet_bytes(),
    "zip": _zip_bytes(),
    "gzip": gzip.compress(b"id,text\n1,SECRET\n"),
    "xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
    "binary": bytes(range(256)) * 4,
    "html": b"<html><table><tr><td>SECRET</td></tr></table></html>",
}


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "x.xlsx",
            "csv",
            "x.xlsx is not an Excel (xlsx) file: its content looks like CSV text; rename it or pass --format csv.",
        ),
        (
            "x.parquet",
            "json",
            "x.parquet is not a Parquet file: its content looks like a JSON array; rename it or pass --format json.",
        ),
        (
            "x.csv",
            "xlsx",
            "x.csv is not a CSV file: its content looks like an Excel (xlsx) workbook; "
            "rename it or pass --format xlsx.",
        ),
        (
            "x.csv",
            "parquet",
            "x.csv is not a CSV file: its content looks like a Parquet file; rename it or pass --format parquet.",
        ),
        ("x.csv", "binary", "x.csv is not a CSV file: its content looks like binary data."),
        (
            "x.csv",
            "zip",
            "x.csv is not a CSV file: its content looks like a ZIP archive that is not an "
            "Excel workbook; unzip it first.",
        ),
        (
            "x.csv",
            "gzip",
            "x.csv is not a CSV file: its content looks like a gzip-compressed file; decompress it first.",
        ),
        (
            "x.xlsx",
            "xls",
            "x.xlsx is not an Excel (xlsx) file: its content looks like an old Excel 97-2003 "
            "(xls) workbook; save it as xlsx or CSV.",
        ),
        (
            "x.json",
            "csv",
            "x.json is not a JSON file: its content looks like CSV text; rename it or pass --format csv.",
        ),
        (
            "x.xls",
            "xls",
            "x.xls has an unrecognised extension and its content looks like an old Excel "
            "97-2003 (xls) workbook; save it as xlsx or CSV.",
        ),
        (
            "x.xls",
            "html",
            "x.xls has an unrecognised extension and its content looks like HTML or XML "
            "markup; open it in Excel and save it as xlsx or CSV.",
        ),
        (
            "x.bin",
            "binary",
            "x.bin has an unrecognised extension and its content looks like binary data; "
            "pass --format with one of csv, xlsx, json, jsonl, parquet.",
        ),
    ],
)
def test_content_that_contradicts_the_extension(tmp_path: Path, name: str, content: str, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(CONTENT[content])
    with pytest.raises(IngestError) as info:
        open_source(path)
    assert str(info.value) == f"{tmp_path}/{expected}"
    assert "SECRET" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("export.dat", b"id;text\n1;a\n", "csv"),
        ("export", b"id\ttext\n1\ta\n", "csv"),
        ("export.out", b'[{"id": "1", "text": "a"}]', "json"),
        ("export.out", b'{"id": "1", "text": "a"}\n{"id": "2", "text": "b"}\n', "jsonl"),
        ("export.bin", CONTENT["xlsx"], "xlsx"),
        ("export.bin", CONTENT["parquet"], "parquet"),
        ("x.json", b'{"id": "1", "text": "a"}\n{"id": "2", "text": "b"}\n', "jsonl"),
        ("x.jsonl", b'[{"id": "1", "text": "a"}]', "json"),
        ("x.jsonl", b'{"id": "1", "text": "a"}', "jsonl"),
    ],
)
def test_format_is_sniffed(tmp_path: Path, name: str, content: bytes, fmt: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    source = open_source(path)
    assert source.format == fmt
    assert source.columns[0] == "id"


def test_unknown_extension_plain_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.dat"
    path.write_text("hello\nworld\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"notes\.dat has an unrecognised extension .* pass --format csv\."):
        open_source(path)
    assert open_source(path, format="csv").columns == ["hello"]


def test_explicit_format_is_trusted(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(CONTENT["csv"])
    assert open_source(path, format="csv").format == "csv"
    path = tmp_path / "x.dat"
    path.write_bytes(CONTENT["xlsx"])
    assert open_source(path, format="XLSX").columns == ["id", "text"]


@pytest.mark.parametrize(
    ("fmt", "content", "fragment"),
    [
        ("xlsx", "csv", "cannot be read as an Excel (xlsx) file: its content looks like CSV text."),
        ("parquet", "csv", "cannot be read as a Parquet file: its content looks like CSV text."),
        ("json", "csv", "cannot be read as a JSON file: its content looks like CSV text."),
        ("csv", "binary", "cannot be read as a CSV file: its content looks like binary data."),
    ],
)
def test_explicit_format_that_does_not_fit(tmp_path: Path, fmt: str, content: str, fragment: str) -> None:
    path = tmp_path / "x.dat"
    path.write_bytes(CONTENT[content])
    with pytest.raises(IngestError) as info:
        open_source(path, format=fmt)
    assert str(info.value).startswith(str(path)) and fragment in str(info.value)
    assert "SECRET" not in str(info.value)


@pytest.mark.parametrize(
    "content",
    [b"", b"   \n\t\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf \n", b"\xff\xfe \x00\n\x00", b" " * 200_000],
)
@pytest.mark.parametrize("name", ["x.csv", "x.json", "x.jsonl", "x.xlsx", "x.parquet", "x.dat"])
def test_empty_files(tmp_path: Path, content: bytes, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError) as info:
        open_source(path)
    assert str(info.value) == f"{path} is empty."


def test_missing_file_directory_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"nope\.csv does not exist\."):
        open_source(tmp_path / "nope.csv")
    with pytest.raises(IngestError, match="is not a regular file"):
        open_source(tmp_path)
    path = tmp_path / "x.csv"
    path.write_bytes(CONTENT["csv"])
    with pytest.raises(IngestError, match="unknown format 'xml'"):
        open_source(path, format="xml")


def test_bracketed_csv_header_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("[id],[name]\n1,a\n", encoding="utf-8")
    assert open_source(path).columns == ["[id]", "[name]"]
    path = tmp_path / "x.dat"
    path.write_text("{id};{name}\n1;a\n", encoding="utf-8")
    assert open_source(path).columns == ["{id}", "{name}"]


def test_malformed_json_is_reported_by_the_json_parser(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('[{"id": 1}, {"id": 2,}]', encoding="utf-8")
    with pytest.raises(IngestError, match=r"x\.json is not valid JSON: .* at line 1, column 22\."):
        open_source(path)
