"""CSV reading: encodings, delimiters, exact values and row numbers, bad rows, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from csqm.errors import IngestError
from csqm.ingest.formats import csv_format
from csqm.ingest.readers import RowProblem, open_source

CHINESE = [
    {"工号": "007", "客户": "张三", "电话": "013800138000", "备注": "您好，请问有什么可以帮您？"},
    {"工号": "0", "客户": "李四", "电话": None, "备注": "已解决"},
    {"工号": "0100", "客户": "王五", "电话": "+86 021-1234", "备注": " 前后有空格 "},
]


def _csv_text(rows: list[dict[str, str | None]], delimiter: str = ",", newline: str = "\n") -> str:
    header = delimiter.join(rows[0])
    lines = [delimiter.join(v or "" for v in row.values()) for row in rows]
    return newline.join([header, *lines]) + newline


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16-le"),  # Python writes a little-endian BOM, like Excel "Unicode text"
        ("utf-16-be-bom", "utf-16-be"),
    ],
)
def test_encodings_are_detected_and_values_exact(tmp_path: Path, read, encoding: str, reported: str) -> None:
    text = _csv_text(CHINESE)
    data = b"\xfe\xff" + text.encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    path = tmp_path / "agents.csv"
    path.write_bytes(data)
    result = read(path, rows=2)
    assert result.source.encoding == reported
    assert result.source.columns == list(CHINESE[0])
    assert result.rows == CHINESE
    assert result.numbers == [1, 2, 3]
    assert result.problems == []


def test_gb18030_only_characters(tmp_path: Path, read) -> None:
    rows = [{"id": "1", "text": "𠀀𪚥 and €"}]  # not in GBK
    path = tmp_path / "x.csv"
    path.write_bytes(_csv_text(rows).encode("gb18030"))
    result = read(path)
    assert result.source.encoding == "gb18030"
    assert result.rows == rows


def test_gbk_byte_deep_in_an_ascii_file_is_still_detected(tmp_path: Path, read) -> None:
    lines = ["id,text"] + [f"{i},plain ascii" for i in range(200_000)] + ["200000,中文"]
    path = tmp_path / "late.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    result = read(path)
    assert result.source.encoding == "gb18030"
    assert result.rows[-1] == {"id": "200000", "text": "中文"}
    assert result.numbers[-1] == 200_001


def test_explicit_encoding_is_honoured(tmp_path: Path, read) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(_csv_text(CHINESE).encode("gbk"))
    result = read(path, encoding="GBK")
    assert result.source.encoding == "gbk"
    assert result.rows == CHINESE


def test_explicit_utf8_skips_the_bom(tmp_path: Path, read) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(_csv_text(CHINESE).encode("utf-8-sig"))
    result = read(path, encoding="utf-8")
    assert result.source.columns == list(CHINESE[0])


@pytest.mark.parametrize(
    ("name", "delimiter"),
    [("x.csv", ","), ("x.tsv", "\t"), ("x.csv", ";"), ("x.txt", "|"), ("x.csv", "\t")],
)
def test_delimiter_is_sniffed(tmp_path: Path, read, name: str, delimiter: str) -> None:
    path = tmp_path / name
    path.write_text(_csv_text(CHINESE, delimiter), encoding="utf-8")
    assert read(path).rows == CHINESE


def test_quoted_delimiters_do_not_fool_the_sniffer(tmp_path: Path, read) -> None:
    path = tmp_path / "x.csv"
    path.write_text('"a;b;c;d",e\n"1;2",3\n', encoding="utf-8")
    result = read(path)
    assert result.source.columns == ["a;b;c;d", "e"]
    assert result.rows == [{"a;b;c;d": "1;2", "e": "3"}]


def test_crlf_quotes_and_multiline_values(tmp_path: Path, read) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b'id,text\r\n1,"say ""hi"", then\r\nleave"\r\n2,"line1\nline2\nline3"\r\n3,""\r\n4,"a,b"\r\n')
    result = read(path, rows=1)
    assert result.rows == [
        {"id": "1", "text": 'say "hi", then\r\nleave'},
        {"id": "2", "text": "line1\nline2\nline3"},
        {"id": "3", "text": None},
        {"id": "4", "text": "a,b"},
    ]
    assert result.numbers == [1, 2, 3, 4]  # record numbers, not physical lines


def test_header_names_are_cleaned(tmp_path: Path, read) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b'\xef\xbb\xbf id ,"\xe5\x90\x8d\n\xe5\xad\x97" , text\t\n1,2,3\n')
    assert read(path).source.columns == ["id", "名\n字", "text"]


@pytest.mark.parametrize("content", ["id,text\n", "id,text", "id,text\r\n\r\n\n"])
def test_header_only_gives_no_rows(tmp_path: Path, read, content: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(content, encoding="utf-8")
    result = read(path)
    assert result.source.columns == ["id", "text"]
    assert result.chunks == []
    assert result.problems == []


def test_blank_lines_are_not_rows_and_empty_rows_are_skipped(tmp_path: Path, read) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,text\n\n1,a\n\n,\n2,b\n,\n3,c\n", encoding="utf-8")
    result = read(path, rows=2)
    assert [r["id"] for r in result.rows] == ["1", "2", "3"]
    assert result.numbers == [1, 3, 5]  # ",": an (empty) row; blank line: not a row


ROWS_WITH_PROBLEMS = (
    "id,name,phone\n"
    "1,a,001\n"
    "2,b\n"  # row 2: too few
    "3,c,003\n"
    "4,d,004,extra\n"  # row 4: too many
    '5,"multi\nline",005\n'
    "6,f\n"  # row 6: too few
    "7,g,007\n"
    "8,h,008\n"
    '9,"unterminated,009\n'  # row 9: truncated at end of file
)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "utf-16"])
@pytest.mark.parametrize("rows", [1, 2, 3, 4, 100])
def test_row_problems_keep_exact_numbers_across_chunks(tmp_path: Path, read, rows: int, encoding: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(ROWS_WITH_PROBLEMS.replace("multi", "多行"), encoding=encoding)
    result = read(path, rows=rows)
    assert result.numbers == [1, 3, 5, 7, 8]
    assert [r["id"] for r in result.rows] == ["1", "3", "5", "7", "8"]
    assert [r["phone"] for r in result.rows] == ["001", "003", "005", "007", "008"]
    assert result.problems == [
        RowProblem(2, "*row*", "row has 2 fields but the header has 3 (truncated line?)"),
        RowProblem(4, "*row*", "row has 4 fields but the header has 3 (a value with an unquoted comma?)"),
        RowProblem(6, "*row*", "row has 2 fields but the header has 3 (truncated line?)"),
        RowProblem(9, "*row*", "truncated — 2 of 3 fields (unterminated quote at the end of the file)"),
    ]


@pytest.mark.parametrize("ending", ["", "\n", "\r\n", "\n\n"])
@pytest.mark.parametrize("columns", [1, 3])
def test_unterminated_quote_at_end_with_the_right_field_count(tmp_path: Path, read, ending: str, columns: int) -> None:
    head = ",".join("abc"[:columns])
    path = tmp_path / "x.csv"
    last = ",".join(["x"] * (columns - 1) + ['"cut' + ending])
    path.write_text(f"{head}\n{head}\n{last}", encoding="utf-8")
    result = read(path)
    assert result.numbers == [1]
    assert result.problems == [RowProblem(2, "*row*", "truncated — unterminated quote at the end of the file")]


@pytest.mark.parametrize("columns", [1, 3])
def test_sentinel_never_shows(tmp_path: Path, read, columns: int) -> None:
    head = ",".join("abc"[:columns])
    path = tmp_path / "x.csv"
    quoted = ",".join(['"a""b"'] * columns)
    for body, rows in (("", 0), ("\n", 0), (head, 1), (f"{head}\n", 1), (f"{head}\n{quoted}", 2), ("\n\n", 0)):
        path.write_text(f"{head}\n{body}", encoding="utf-8")
        result = read(path)
        assert result.problems == [] and len(result.rows) == rows


def test_truncated_last_line_without_newline(tmp_path: Path, read) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b,c,d\n1,2,3,4\n5,6", encoding="utf-8")
    result = read(path)
    assert result.numbers == [1]
    assert result.problems == [RowProblem(2, "*row*", "row has 2 fields but the header has 4 (truncated line?)")]


def test_problems_carry_no_cell_values(tmp_path: Path, read, no_values) -> None:
    path = tmp_path / "x.csv"
    path.write_text('id,phone\nSECRET1,13800138000,SECRET2\nSECRET3\n"SECRET4', encoding="utf-8")
    result = read(path)
    for problem in result.problems:
        no_values(problem.reason, ["SECRET", "13800138000"])
    assert [p.row_number for p in result.problems] == [1, 2, 3]


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_a_huge_field_is_read(tmp_path: Path, read, where: str) -> None:
    huge = "长" * ((50 << 20) // 3) + "end"  # ~50 MB of UTF-8
    lines = ["1,small", "2,bad,row", "3,small", "4,small"]
    index = {"first": 0, "middle": 2, "last": 4}[where]
    lines.insert(index, f'9,"{huge}"')
    path = tmp_path / "x.csv"
    path.write_text("id,text\n" + "\n".join(lines) + "\n", encoding="utf-8")
    result = read(path, rows=1)
    ids = [r["id"] for r in result.rows]
    assert sorted(ids) == ["1", "3", "4", "9"]
    assert len(result.rows[ids.index("9")]["text"]) == len(huge)
    assert result.numbers == [n for n in range(1, 6) if n != (3 if index <= 1 else 2)]
    assert len(result.problems) == 1


def test_a_field_beyond_the_largest_block_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_format, "FIRST_BLOCK", 1 << 10)
    monkeypatch.setattr(csv_format, "MAX_BLOCK", 1 << 14)
    path = tmp_path / "x.csv"
    path.write_text('id,text\n1,a\n2,"SECRET' + "x" * (1 << 15) + '"\n', encoding="utf-8")
    source = open_source(path)
    with pytest.raises(IngestError) as info:
        list(source.chunks(1))
    message = str(info.value)
    assert str(path) in message and "after data row 1" in message and "SECRET" not in message


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_retry_with_a_larger_block_neither_repeats_rows_nor_problems(
    tmp_path: Path, read, monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    monkeypatch.setattr(csv_format, "FIRST_BLOCK", 1 << 10)
    lines = [f"{i},值{i}" if i % 7 else f"{i}" for i in range(1, 301)]
    lines.insert(250, '999,"' + "长" * 20_000 + '"')
    path = tmp_path / "x.csv"
    path.write_text("id,text\n" + "\n".join(lines) + "\n", encoding=encoding)
    result = read(path, rows=10)
    expected = [i for i in range(1, 302) if (i if i <= 250 else i - 1) % 7 or i == 251]
    assert result.numbers == expected
    assert [p.row_number for p in result.problems] == [i for i in range(1, 302) if i not in expected]


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("id,name,id", "'id'"),
        ("id, name ,name", "'name'"),
        ("id,,name", "blank column name"),
        ("id,name, ", "column 3"),
    ],
)
def test_bad_headers(tmp_path: Path, header: str, fragment: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(header + "\n1,2,3\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"x\.csv") as info:
        open_source(path)
    assert fragment in str(info.value)


def test_undecodable_bytes_name_offset_and_line(tmp_path: Path, no_values) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"id,text\n1,SECRET\n2,\xff\xfe\x80\n")
    with pytest.raises(IngestError) as info:
        open_source(path)
    message = str(info.value)
    assert message.startswith(f"{path} is neither UTF-8 nor GB18030")
    assert "byte offset 19 (line 3)" in message and "--encoding" in message
    no_values(message, ["SECRET"])


def test_explicit_encoding_that_does_not_fit(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("id,text\n1,ok\n2,中文\n".encode("gbk"))
    with pytest.raises(IngestError, match=r"x\.csv cannot be decoded as utf-8: .*offset 15 \(line 3\)"):
        open_source(path, encoding="utf-8")
    with pytest.raises(IngestError, match="not a known encoding"):
        open_source(path, encoding="klingon")


def test_bytes_that_go_bad_after_opening_raise_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("id,text\n1,中文\n".encode("gbk"))
    source = open_source(path)
    path.write_bytes("id,text\n1,中文\n".encode("gbk") + b"2,\xff\n")
    with pytest.raises(IngestError, match=r"x\.csv cannot be decoded as gb18030: .*line 3"):
        list(source.chunks())


def test_utf16_without_bom_is_recognised(tmp_path: Path, read) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(_csv_text(CHINESE, "\t").encode("utf-16-le"))
    result = read(path)
    assert result.source.encoding == "utf-16-le"
    assert result.rows == CHINESE


def test_chunks_can_be_read_twice(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(ROWS_WITH_PROBLEMS, encoding="utf-8")
    source = open_source(path)
    first = [c.row_numbers.tolist() for c in source.chunks(2)]
    assert [c.row_numbers.tolist() for c in source.chunks(2)] == first
    assert len(source.problems) == 4
    with pytest.raises(ValueError):
        list(source.chunks(0))


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_excel_sep_line_declares_the_delimiter(tmp_path: Path, read, encoding: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("sep=;\r\n工号;备注,逗号\r\n007;你好,世界\r\n".encode(encoding))
    result = read(path)
    assert result.source.columns == ["工号", "备注,逗号"]
    assert result.rows == [{"工号": "007", "备注,逗号": "你好,世界"}]
    assert result.numbers == [1]


def test_leading_blank_lines_and_old_mac_line_ends(tmp_path: Path, read) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"\r\n  \r\nid,text\r1,a\r2,b\r")
    result = read(path)
    assert result.source.columns == ["id", "text"]
    assert result.rows == [{"id": "1", "text": "a"}, {"id": "2", "text": "b"}]
    assert result.numbers == [1, 2]
    path.write_bytes(b"sep=;\n\n")
    with pytest.raises(IngestError, match=r"x\.csv has no header line\."):
        open_source(path)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_first_value_starting_with_a_bom_is_kept(tmp_path: Path, read, encoding: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("id,text\n\ufeff1,a\nbad\n2,b\n".encode(encoding))
    result = read(path, rows=1)
    assert result.rows == [{"id": "\ufeff1", "text": "a"}, {"id": "2", "text": "b"}]
    assert result.numbers == [1, 3]
    assert [p.row_number for p in result.problems] == [2]
