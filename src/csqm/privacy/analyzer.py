"""Run recognizers over a text, resolve overlapping findings, and replace findings by display masks."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from csqm.privacy.display import display_mask
from csqm.privacy.model import PiiMatch, Recognizer
from csqm.privacy.registry import default_recognizers

#: Full-width ASCII (U+FF01-U+FF5E) and the ideographic space, folded 1:1 to ASCII so that
#: ``１３８１２３４５６７８`` is found like ``13812345678``; offsets stay valid.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_HAS_WIDE = re.compile("[\uff01-\uff5e\u3000]")
#: Texts with full-width digits or ＠ always go through the recognizers (they fold first).
WIDE_HINT = "[\uff10-\uff19\uff20]"
#: Masking repeats until nothing is found any more; a bound against recognizers that match masks.
MAX_ROUNDS = 3


def fold_width(text: str) -> str:
    """``text`` with full-width ASCII characters replaced by ASCII (same length, same offsets)."""
    return text.translate(_FOLD) if _HAS_WIDE.search(text) else text


def resolve_overlaps(matches: Sequence[PiiMatch]) -> list[PiiMatch]:
    """Non-overlapping findings, sorted by position: the longest wins, then the highest score."""
    ranked = sorted(matches, key=lambda m: (-m.length, -m.score, m.start, m.recognizer))
    kept: list[PiiMatch] = []
    for match in ranked:
        if all(match.end <= k.start or match.start >= k.end for k in kept):
            kept.append(match)
    kept.sort(key=lambda m: m.start)
    return kept


def analyze(text: str, recognizers: Sequence[Recognizer] | None = None) -> list[PiiMatch]:
    """All personal data in ``text``: overlaps resolved, sorted by position.

    ``recognizers`` defaults to the built-in and plugin recognizers (:func:`load_recognizers`).
    """
    if recognizers is None:
        recognizers = default_recognizers()
    folded = fold_width(text)
    found: list[PiiMatch] = []
    for recognizer in recognizers:
        found += recognizer.find(folded)
    return resolve_overlaps(found) if len(found) > 1 else found


def redact(text: str, matches: Sequence[PiiMatch]) -> str:
    """``text`` with each (non-overlapping, sorted) finding replaced by its display mask."""
    if not matches:
        return text
    folded = fold_width(text)
    parts: list[str] = []
    pos = 0
    for m in matches:
        parts.append(text[pos : m.start])
        parts.append(display_mask(m.kind, folded[m.start : m.end]))
        pos = m.end
    parts.append(text[pos:])
    return "".join(parts)


def mask_free_text(
    text: str,
    recognizers: Sequence[Recognizer] | None = None,
    prefilter: Callable[[str], object] | None = None,
) -> tuple[str, tuple[str, ...]]:
    """Mask every finding in ``text``; also the sorted distinct kinds found.

    Masking repeats on its own output until nothing is found (at most :data:`MAX_ROUNDS` rounds),
    so the result never re-triggers detection and masking it again changes nothing. ``prefilter``
    (see :class:`csqm.privacy.masker.Screen`) lets later rounds stop early.
    """
    kinds: set[str] = set()
    for round_no in range(MAX_ROUNDS):
        if round_no and prefilter is not None and not prefilter(text):
            break
        matches = analyze(text, recognizers)
        if not matches:
            break
        kinds.update(m.kind for m in matches)
        text = redact(text, matches)
    return text, tuple(sorted(kinds))
