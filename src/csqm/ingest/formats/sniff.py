"""What a file really is: magic bytes and a look at its first bytes, compared with its extension."""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from csqm.errors import IngestError
from csqm.ingest.formats.encoding import bom_encoding, utf16_without_bom

FORMATS = ("csv", "xlsx", "json", "jsonl", "parquet")

#: Bytes read from the start of a file to recognise it.
HEAD_BYTES = 64 << 10

EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}

FORMAT_NAMES = {
    "csv": "a CSV file",
    "xlsx": "an Excel (xlsx) file",
    "json": "a JSON file",
    "jsonl": "a JSON Lines file",
    "parquet": "a Parquet file",
}

#: Delimiters recognised in CSV text, in order of preference on a tie.
DELIMITERS = (",", "\t", ";", "|")


@dataclass(frozen=True)
class Kind:
    """What the content looks like: a description, the format that reads it (if any), advice."""

    description: str
    format: str | None
    advice: str = ""


KINDS = {
    "xlsx": Kind("an Excel (xlsx) workbook", "xlsx"),
    "zip": Kind("a ZIP archive that is not an Excel workbook", None, "unzip it first"),
    "brokenzip": Kind("a damaged ZIP archive (or xlsx workbook)", None, "export it again"),
    "xls": Kind("an old Excel 97-2003 (xls) workbook", None, "save it as xlsx or CSV"),
    "parquet": Kind("a Parquet file", "parquet"),
    "gzip": Kind("a gzip-compressed file", None, "decompress it first"),
    "pdf": Kind("a PDF document", None),
    "markup": Kind("HTML or XML markup", None, "open it in Excel and save it as xlsx or CSV"),
    "json": Kind("a JSON array", "json"),
    "jsonish": Kind("JSON", "json"),
    "jsonl": Kind("JSON Lines", "jsonl"),
    "csv": Kind("CSV text", "csv"),
    "text": Kind("plain text without commas, tabs, semicolons or '|'", "csv"),
    "binary": Kind("binary data", None),
}

#: Which sniffed kinds each format accepts.
ACCEPTS = {
    "csv": {"csv", "text"},
    "xlsx": {"xlsx", "brokenzip"},
    "json": {"json", "jsonish", "jsonl"},
    "jsonl": {"json", "jsonish", "jsonl"},
    "parquet": {"parquet"},
}

_MAGIC = (
    (b"PAR1", "parquet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"),
    (b"\x1f\x8b", "gzip"),
    (b"%PDF", "pdf"),
)
_MARKUP = re.compile(r"<(?:!doctype|\?xml|html|table|head|body|meta|div)\b", re.IGNORECASE)
_QUOTED = re.compile(r'"[^"]*"?')


def read_head(path: Path) -> bytes:
    """The first :data:`HEAD_BYTES` bytes of the file."""
    with path.open("rb") as raw:
        return raw.read(HEAD_BYTES)


def is_blank(path: Path, head: bytes) -> bool:
    """True when the file holds nothing but a BOM and whitespace."""
    bom = bom_encoding(head)
    wide = (bom is not None and bom.codec.startswith(("utf-16", "utf-32"))) or utf16_without_bom(head) is not None
    space = b" \t\r\n\x0b\x0c" + (b"\x00" if wide else b"")
    if head[bom.start if bom else 0 :].strip(space):
        return False
    with path.open("rb") as raw:
        raw.seek(len(head))
        while block := raw.read(1 << 20):
            if block.strip(space):
                return False
    return True


def sniff(path: Path, head: bytes) -> str:
    """A key of :data:`KINDS` describing the content."""
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    text = head_text(head)
    if text is None:
        return "binary"
    return _text_kind(text, complete=len(head) < HEAD_BYTES)


def head_text(head: bytes) -> str | None:
    """The start of the file as text (leading whitespace and BOM removed); None if it is binary."""
    encoding = bom_encoding(head) or utf16_without_bom(head)
    if encoding is None and b"\x00" in head:
        return None
    codec = encoding.codec if encoding else "utf-8"
    text = head[encoding.start if encoding else 0 :].decode(codec, errors="replace")
    return text.lstrip("\ufeff \t\r\n")


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return "brokenzip"
    return "xlsx" if "xl/workbook.xml" in names else "zip"


def _text_kind(text: str, *, complete: bool) -> str:
    if text[:1] in ("[", "{"):
        kind = _json_kind(text, complete=complete)
        if kind is not None:
            return kind
    elif _MARKUP.match(text):
        return "markup"
    first_line = text.split("\n", 1)[0]
    return "csv" if any(d in first_line for d in DELIMITERS) else "text"


def _json_kind(text: str, *, complete: bool) -> str | None:
    """For text starting with '[' or '{': "json" (an array), "jsonl" (an object, then another on
    a later line), "jsonish" (an object), or None when it is not JSON (e.g. a ``[id],[name]`` header).
    """
    array = text.startswith("[")
    try:
        _, end = json.JSONDecoder(strict=False).raw_decode(text)
    except json.JSONDecodeError as exc:
        cut = not complete and (exc.pos >= len(text) - 64 or exc.msg.startswith("Unterminated string"))
        return ("json" if array else "jsonish") if cut else None
    if array:
        return "json"
    following = text[end:].lstrip(" \t\r")
    return "jsonl" if following.startswith("\n") and following.lstrip().startswith("{") else "jsonish"


def sniff_delimiter(header: str) -> str:
    """The delimiter used most often in a header line outside quotes (comma on a tie or none)."""
    bare = _QUOTED.sub("", header)
    counts = [bare.count(d) for d in DELIMITERS]
    best = max(counts)
    return DELIMITERS[counts.index(best)] if best else ","


def resolve_format(path: Path, head: bytes, explicit: str | None) -> str:
    """The format to read the file with; IngestError when the content contradicts the extension."""
    if explicit is not None:
        fmt = explicit.lower().lstrip(".")
        if fmt not in FORMATS:
            raise IngestError(f"Cannot read {path}: unknown format {explicit!r}; use one of {', '.join(FORMATS)}.")
        return fmt
    kind = sniff(path, head)
    expected = EXTENSIONS.get(path.suffix.lower())
    if expected is None:
        return _unknown_extension(path, kind)
    if not fits(expected, kind, head):
        raise IngestError(_mismatch(path, expected, kind))
    if expected in ("json", "jsonl") and kind in ("json", "jsonl"):
        return kind
    return expected


def fits(fmt: str, kind: str, head: bytes) -> bool:
    """True when content of ``kind`` can be read as ``fmt``.

    Text starting like JSON fits JSON even when it is malformed: the parser then says where.
    """
    if kind in ACCEPTS[fmt]:
        return True
    text = head_text(head)
    return fmt in ("json", "jsonl") and text is not None and text[:1] in ("[", "{")


def _unknown_extension(path: Path, kind: str) -> str:
    found = KINDS[kind]
    if found.format is not None and kind != "text":
        return found.format
    hint = found.advice or (
        "pass --format csv" if kind == "text" else f"pass --format with one of {', '.join(FORMATS)}"
    )
    raise IngestError(f"{path} has an unrecognised extension and its content looks like {found.description}; {hint}.")


def _mismatch(path: Path, expected: str, kind: str) -> str:
    found = KINDS[kind]
    if found.format is not None:
        hint = f"; rename it or pass --format {found.format}"
    else:
        hint = f"; {found.advice}" if found.advice else ""
    return f"{path} is not {FORMAT_NAMES[expected]}: its content looks like {found.description}{hint}."
