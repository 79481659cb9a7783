"""JSON and JSON Lines reading: values as text, streaming, row numbers, malformed input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csqm.errors import IngestError
from csqm.ingest.formats import json_format
from csqm.ingest.readers import RowProblem, open_source

EXPECTED = [
    {
        "id": "007",
        "amount": "1.50",
        "ok": "true",
        "note": "您好",
        "tags": '["a",1]',
        "empty": None,
        "extra": None,
    },
    {
        "id": "008",
        "amount": "2",
        "ok": "false",
        "note": None,
        "tags": None,
        "empty": None,
        "extra": '{"k":1.0}',
    },
]
RAW = (
    '[{"id": "007", "amount": 1.50, "ok": true, "note": "您好", "tags": ["a", 1], "empty": ""},\n'
    ' {"id": "008", "amount": 2, "ok": false, "note": null, "extra": {"k": 1.0}}]'
)


@pytest.mark.parametrize(
    "text",
    [
        RAW,
        '{"total": 2, "data": ' + RAW + ', "page": {"n": 1}}',
        '{"fields": ["id"], "rows": ' + RAW + "}",
        "\ufeff  " + RAW + "\n\n",
    ],
)
@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-16"])
def test_json_values(tmp_path: Path, read, text: str, encoding: str) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(text.encode(encoding) if encoding != "gbk" else text.lstrip("\ufeff").encode(encoding))
    result = read(path, rows=1)
    assert result.source.format == "json"
    assert result.source.columns == ["id", "amount", "ok", "note", "tags", "empty", "extra"]
    assert result.rows == EXPECTED
    assert result.numbers == [1, 2]


def test_jsonl_values_numbers_and_bad_lines(tmp_path: Path, read, no_values) -> None:
    lines = [
        '{"id": "007", "amount": 1.50, "ok": true, "note": "您好", "tags": ["a", 1], "empty": ""}',
        "",
        '{"id": "SECRET", "amount": ',  # line 3: broken
        "[1, 2]",  # line 4: not an object
        '   {"id": "008", "amount": 2, "ok": false, "note": null, "extra": {"k": 1.0}}',
        '{"id": "009"} {"id": "010"}',  # line 6: two values
        '{"id": "011"}',
    ]
    path = tmp_path / "x.jsonl"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    result = read(path, rows=2)
    assert result.rows[:2] == EXPECTED
    assert result.rows[2]["id"] == "011"
    assert result.numbers == [1, 5, 7]
    assert result.problems == [
        RowProblem(3, "*row*", "line is not valid JSON: Expecting value at column 27"),
        RowProblem(4, "*row*", "record is an array, not a JSON object"),
        RowProblem(6, "*row*", "line is not valid JSON: Extra data at column 15"),
    ]
    for problem in result.problems:
        no_values(problem.reason, ["SECRET", "009"])


def test_keys_beyond_the_probe_are_problems(tmp_path: Path, read, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_format, "PROBE_RECORDS", 2)
    records = [{"a": "1"}, {"b": "2"}, {"a": "3", "c": "4"}, {" b ": "5"}, "x"]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    result = read(path)
    assert result.source.columns == ["a", "b"]
    assert result.rows == [{"a": "1", "b": None}, {"a": None, "b": "2"}, {"a": None, "b": "5"}]
    assert result.numbers == [1, 2, 4]
    assert result.problems == [
        RowProblem(3, "c", "field 'c' is not among the columns of the first 2 records"),
        RowProblem(5, "*row*", "record is a single value, not a JSON object"),
    ]


def test_streaming_across_small_buffers(tmp_path: Path, read, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_format, "_READ", 7)
    records = [{"id": f"{i:04d}", "n": i * 1000003, "text": "长文本" * (i % 50)} for i in range(500)]
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"data": records}, ensure_ascii=False, indent=1), encoding="utf-8")
    result = read(path, rows=64)
    expected = [{"id": r["id"], "n": str(r["n"]), "text": r["text"] or None} for r in records]
    assert result.rows == expected
    assert result.numbers == list(range(1, 501))


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            '[{"a": 1},\n {"a": 2,, }]',
            "Expecting property name enclosed in double quotes at line 2, column 10",
        ),
        ('[{"a": 1},\n {"a": 2}', "expected ',' or ']' between array elements at line 2, column 10"),
        ('[{"a": "SECRET}]', "Unterminated string starting at line 1, column 8"),
        ('[{"a": 1}] {"b": 2}', "extra content after the records at line 1, column 12"),
        ('{"a": 1, "b": "x"}', "is a JSON object without an array of records"),
        ('{"a": [{"x": 1}], "b": [{"y": 2}]}', "has more than one array of records ('a' and 'b')"),
        ('"just a string"', "cannot be read as a JSON file: its content looks like plain text"),
    ],
)
def test_malformed_json(tmp_path: Path, text: str, where: str, no_values) -> None:
    path = tmp_path / "x.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError) as info:
        list(open_source(path, format="json").chunks())
    assert str(info.value).startswith(str(path))
    assert where in str(info.value)
    no_values(str(info.value), ["SECRET"])


def test_empty_arrays(tmp_path: Path, read) -> None:
    for text in ("[]", '{"data": []}', '{"data": [], "n": 0}'):
        path = tmp_path / "x.json"
        path.write_text(text, encoding="utf-8")
        result = read(path)
        assert result.source.columns == [] and result.chunks == []


def test_blank_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1, " ": 2}\n', encoding="utf-8")
    with pytest.raises(IngestError, match=r"x\.jsonl has a blank column name"):
        open_source(path)
