"""Text encodings: byte-order marks, detection (UTF-8, then GB18030), validation and streaming decoding.

Detection reads the whole file once, block by block, so a GBK byte deep inside an otherwise ASCII file
is still noticed before any row is read. Every decoder is strict: an undecodable byte is an
:class:`IngestError` naming its byte offset and line, never a replacement character in the data.
"""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from csqm.errors import IngestError

#: Bytes read per step while scanning or transcoding.
BLOCK = 4 << 20

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
)


@dataclass(frozen=True)
class TextEncoding:
    """How a text file is decoded: ``codec`` applies from byte ``start`` (just after any BOM)."""

    name: str
    codec: str
    start: int = 0

    @property
    def is_utf8(self) -> bool:
        """True when the bytes after ``start`` are UTF-8 and need no transcoding."""
        return codecs.lookup(self.codec).name == "utf-8"


@dataclass(frozen=True)
class DecodeFailure:
    """Where decoding first failed: absolute byte offset and 1-based line."""

    offset: int
    line: int


def bom_encoding(head: bytes) -> TextEncoding | None:
    """The encoding announced by a byte-order mark at the start of ``head``, if any."""
    for bom, name, codec in _BOMS:
        if head.startswith(bom):
            return TextEncoding(name, codec, len(bom))
    return None


def utf16_without_bom(head: bytes) -> TextEncoding | None:
    """UTF-16 text without a BOM, recognised by NUL high bytes of ASCII characters."""
    sample = head[: 1 << 14]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zeros_odd > 0.3 and zeros_even < 0.02:
        return TextEncoding("utf-16-le", "utf-16-le")
    if zeros_even > 0.3 and zeros_odd < 0.02:
        return TextEncoding("utf-16-be", "utf-16-be")
    return None


def first_undecodable(path: Path, codec: str, start: int = 0) -> DecodeFailure | None:
    """Scan the file from ``start`` with a strict ``codec`` decoder; where it first fails, or None."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    with path.open("rb") as raw:
        raw.seek(start)
        offset = start
        while True:
            block = raw.read(BLOCK)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                return failure_at(path, codec, start, offset - pending + exc.start)
            if not block:
                return None
            offset += len(block)


def failure_at(path: Path, codec: str, start: int, offset: int) -> DecodeFailure:
    """The failure at byte ``offset``, with its line number (text from ``start`` decoded leniently)."""
    decoder = codecs.getincrementaldecoder(codec)("replace")
    lines = 0
    with path.open("rb") as raw:
        raw.seek(start)
        left = offset - start
        while left > 0:
            block = raw.read(min(BLOCK, left))
            if not block:
                break
            left -= len(block)
            lines += decoder.decode(block).count("\n")
    return DecodeFailure(offset, lines + 1)


def lookup(path: Path, encoding: str) -> str:
    """The canonical codec name of a user-supplied encoding; IngestError when unknown."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise IngestError(
            f"Cannot read {path}: {encoding!r} is not a known encoding (try utf-8, gb18030 or utf-16)."
        ) from None


def resolve(path: Path, head: bytes, explicit: str | None) -> TextEncoding:
    """The encoding of a text file: explicit, else from a BOM, else strict UTF-8, else GB18030."""
    if explicit is not None:
        return _explicit(path, head, lookup(path, explicit))
    found = bom_encoding(head) or utf16_without_bom(head)
    if found is not None:
        _validate(path, found, f"{found.name} (as its byte-order mark says)")
        return found
    as_utf8 = first_undecodable(path, "utf-8")
    if as_utf8 is None:
        return TextEncoding("utf-8", "utf-8")
    as_gb = first_undecodable(path, "gb18030")
    if as_gb is None:
        return TextEncoding("gb18030", "gb18030")
    raise IngestError(
        f"{path} is neither UTF-8 nor GB18030 text: it has an undecodable byte at byte offset "
        f"{as_utf8.offset} (line {as_utf8.line}) as UTF-8 and at byte offset {as_gb.offset} "
        f"(line {as_gb.line}) as GB18030; pass --encoding with the file's encoding."
    )


def _explicit(path: Path, head: bytes, codec: str) -> TextEncoding:
    """An explicitly requested encoding, skipping a matching BOM, validated over the whole file."""
    bom = bom_encoding(head)
    if bom is not None and _bom_matches(bom, codec):
        encoding = bom
    elif codec == "utf-8-sig":
        encoding = TextEncoding(codec, "utf-8")
    else:
        encoding = TextEncoding(codec, codec)
    _validate(path, encoding, encoding.name)
    return encoding


def _bom_matches(bom: TextEncoding, codec: str) -> bool:
    """True when a BOM belongs to the requested codec (so it is skipped rather than decoded)."""
    if codec in ("utf-8", "utf-8-sig"):
        return bom.codec == "utf-8"
    return codec in ("utf-16", "utf-32") and bom.codec.startswith(codec)


def _validate(path: Path, encoding: TextEncoding, label: str) -> None:
    """IngestError when the file does not decode with ``encoding``."""
    failure = first_undecodable(path, encoding.codec, encoding.start)
    if failure is not None:
        raise IngestError(
            f"{path} cannot be decoded as {label}: the byte at offset {failure.offset} (line "
            f"{failure.line}) is not valid in that encoding; pass --encoding with the file's encoding."
        )


def open_text(path: Path, encoding: TextEncoding) -> TextIO:
    """A strict text stream over the file (universal newlines)."""
    raw = path.open("rb")
    raw.seek(encoding.start)
    return io.TextIOWrapper(raw, encoding=encoding.codec, errors="strict", newline=None)


class Utf8Stream(io.RawIOBase):
    """A binary stream of the file's text re-encoded as UTF-8 (for readers that only take UTF-8).

    Bytes pushed back with :meth:`unread` are returned before the rest of the file.
    """

    def __init__(self, path: Path, encoding: TextEncoding) -> None:
        super().__init__()
        self._path = path
        self._encoding = encoding
        self._raw: BinaryIO = path.open("rb")
        self._raw.seek(encoding.start)
        self._offset = encoding.start
        self._decoder = codecs.getincrementaldecoder(encoding.codec)("strict")
        self._buffer = bytearray()
        self._eof = False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` UTF-8 bytes (all the rest when ``size`` is negative or None)."""
        want = -1 if size is None else size
        while not self._eof and (want < 0 or len(self._buffer) < want):
            self._fill()
        take = len(self._buffer) if want < 0 else min(want, len(self._buffer))
        out = bytes(self._buffer[:take])
        del self._buffer[:take]
        return out

    def unread(self, data: bytes) -> None:
        """Push ``data`` back to be read again first."""
        self._buffer[:0] = data

    def close(self) -> None:
        self._raw.close()
        super().close()

    def _fill(self) -> None:
        block = self._raw.read(BLOCK)
        pending = len(self._decoder.getstate()[0])
        try:
            text = self._decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            offset = self._offset - pending + exc.start
            failure = failure_at(self._path, self._encoding.codec, self._encoding.start, offset)
            raise IngestError(
                f"{self._path} cannot be decoded as {self._encoding.name}: the byte at offset "
                f"{failure.offset} (line {failure.line}) is not valid in that encoding."
            ) from None
        self._offset += len(block)
        self._buffer += text.encode("utf-8")
        self._eof = not block
