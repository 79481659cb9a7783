"""Properties: small tables of unicode strings read back identical (CSV, JSON Lines); CSV row numbers
and problems agree with Python's csv module on ragged input."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csqm.ingest.formats import csv_format
from csqm.ingest.readers import open_source

# NUL makes a file look binary; a header name may not hold a delimiter candidate (the delimiter
# is sniffed from the header line) nor start/end with whitespace or a BOM (names are stripped).
_VALUE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
_NAME = st.text(
    st.characters(blacklist_categories=("Cs", "Zs", "Cc"), blacklist_characters=',\t;|\ufeff"\x00'),
    min_size=1,
    max_size=8,
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    names = draw(st.lists(_NAME, min_size=1, max_size=4, unique=True))
    rows = draw(st.lists(st.lists(_VALUE, min_size=len(names), max_size=len(names)), max_size=8))
    return names, rows


def _expected(rows: list[list[str]]) -> list[list[str | None]]:
    """Empty strings read back as None; rows with no value at all are skipped."""
    return [[v or None for v in row] for row in rows if any(row)]


def _read(path: Path, chunk_rows: int) -> tuple[list[str], list[list[object]]]:
    source = open_source(path)
    rows = [list(r) for c in source.chunks(chunk_rows) for r in c.frame.itertuples(index=False)]
    assert source.problems == []
    return source.columns, rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]), chunk_rows=st.integers(1, 5))
def test_csv_roundtrip(table: tuple[list[str], list[list[str]]], encoding: str, chunk_rows: int) -> None:
    names, rows = table
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(names)
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_bytes(text.getvalue().encode(encoding))
        columns, back = _read(path, chunk_rows)
    assert columns == [n.strip() for n in names]
    assert back == _expected(rows)


@settings(max_examples=150, deadline=None)
@given(table=tables(), chunk_rows=st.integers(1, 5))
def test_jsonl_roundtrip(table: tuple[list[str], list[list[str]]], chunk_rows: int) -> None:
    names, rows = table
    lines = [json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) for row in rows]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.jsonl"
        path.write_text("\n".join(["{}", *lines]) + "\n", encoding="utf-8")
        if not rows:
            return
        columns, back = _read(path, chunk_rows)
    assert columns == [n.strip() for n in names]
    assert back == _expected(rows)


@st.composite
def ragged(draw: st.DrawFn) -> list[list[str]]:
    """Records of 1 to 5 fields for a 3-column header."""
    return draw(st.lists(st.lists(_VALUE, min_size=1, max_size=5), max_size=25))


@settings(max_examples=150, deadline=None)
@given(
    records=ragged(),
    block=st.sampled_from([64, 256, 4096]),
    chunk_rows=st.integers(1, 4),
    encoding=st.sampled_from(["utf-8", "gb18030"]),
)
def test_csv_row_numbers_match_a_reference_parser(
    records: list[list[str]], block: int, chunk_rows: int, encoding: str
) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["a", "b", "c"])
    writer.writerows(records)
    parsed = [r for r in csv.reader(io.StringIO(text.getvalue(), newline="")) if r][1:]
    good = [(n, r) for n, r in enumerate(parsed, start=1) if len(r) == 3 and any(r)]
    bad = [n for n, r in enumerate(parsed, start=1) if len(r) != 3]
    with tempfile.TemporaryDirectory() as tmp, patch.object(csv_format, "FIRST_BLOCK", block):
        path = Path(tmp) / "t.csv"
        path.write_bytes(text.getvalue().encode(encoding))
        source = open_source(path)
        chunks = list(source.chunks(chunk_rows))
    assert [int(n) for c in chunks for n in c.row_numbers] == [n for n, _ in good]
    assert [list(r) for c in chunks for r in c.frame.itertuples(index=False)] == [
        [v or None for v in r] for _, r in good
    ]
    assert [p.row_number for p in source.problems] == bad
