"""Finding cue phrases in many texts at once, with negation (Chinese and English).

All cues of one language are compiled into a single regular expression shaped like a trie, so the
regex engine skips quickly over characters that start no cue and always takes the longest cue at a
position ("不满意" wins over "满意"). The texts of a batch are joined and searched in one pass.

A cue is *negated* when a negator stands shortly before it in the same clause:

* Chinese: one of ``negators`` among the ``window`` characters before the cue ("不是骗你",
  "没有生气", "不太满意"), after blanking words that merely contain a negator ("不错", "不得不",
  "不仅"). A rhetorical question ("这不是骗人吗", "难道不是欺骗吗") is not a negation.
* English: one of ``negators`` (or a word ending in ``n't``) among the ``window`` words before it.

Cues that contain their own negation ("不满意", "don't understand") are simply listed as cues.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_CLAUSE_ZH = re.compile(r"[，。！？；：,.!?;:\n\x00…]")
_CLAUSE_EN = re.compile(r"[.!?;:,\n\x00]")
_RHETORICAL_TAIL = re.compile(r"[^，。！？；,.!?;\n\x00]*?[吗嘛][？?!！]*")
_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class Negation:
    """How one language negates: negator words, words that only look like negators, and the window."""

    negators: tuple[str, ...]
    pseudo: tuple[str, ...] = ()
    window: int = 4
    rhetorical: tuple[str, ...] = ()  # negators that, in a question ending in 吗, do not negate


@dataclass(frozen=True)
class Match:
    """One cue found in text ``doc``: the cue's index in the list it was built from."""

    doc: int
    cue: int
    start: int
    end: int
    negated: bool


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, longest first at each position (trie-shaped)."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:  # type: ignore[type-arg]
        ends = "" in node
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return body + "?" if len(branches) == 1 and len(body) == 1 else f"(?:{body})?"
        return body

    return emit(trie)


class CueMatcher:
    """Finds the cues of one language (``lang`` is ``"zh"`` or ``"en"``) in batches of texts."""

    def __init__(self, cues: Sequence[str], negation: Negation, lang: str) -> None:
        if lang not in ("zh", "en"):
            raise ValueError(f"unsupported language {lang!r}")
        self.lang = lang
        self.negation = negation
        keys = [c.lower() for c in cues]
        self._index = {k: i for i, k in enumerate(keys)}
        if len(self._index) != len(keys):
            raise ValueError("duplicate cues")
        body = _trie_pattern(keys) if keys else "(?!)"
        self._pattern = re.compile(rf"(?<![a-z0-9'])(?:{body})(?![a-z0-9'])" if lang == "en" else body)
        neg = sorted(negation.negators, key=len, reverse=True)
        if lang == "en":
            self._negator = re.compile(r"\b(?:" + "|".join(map(re.escape, neg)) + r")\b|n't\b")
        else:
            self._negator = re.compile("|".join(map(re.escape, neg)))
        pseudo = sorted(negation.pseudo, key=len, reverse=True)
        self._pseudo = re.compile("|".join(map(re.escape, pseudo))) if pseudo else None

    def find(self, texts: Sequence[str | None]) -> list[list[Match]]:
        """The cues in every text (a list per text, in order of position); ``None`` counts as ""."""
        clean = [(t or "").replace("\x00", " ").lower() for t in texts]
        joined = "\x00".join(clean)
        starts: list[int] = []
        pos = 0
        for t in clean:
            starts.append(pos)
            pos += len(t) + 1
        out: list[list[Match]] = [[] for _ in clean]
        doc = 0
        for m in self._pattern.finditer(joined):
            while doc + 1 < len(starts) and starts[doc + 1] <= m.start():
                doc += 1
            text = clean[doc]
            start, end = m.start() - starts[doc], m.end() - starts[doc]
            cue = self._index[m.group()]
            out[doc].append(Match(doc, cue, start, end, self._negated(text, start, end)))
        return out

    def _negated(self, text: str, start: int, end: int) -> bool:
        if self.lang == "en":
            return self._negated_en(text, start)
        return self._negated_zh(text, start, end)

    def _negated_zh(self, text: str, start: int, end: int) -> bool:
        window = self.negation.window
        lo = max(0, start - window - 4)  # a little extra so pseudo-negators are seen whole
        lo = max((m.end() for m in _CLAUSE_ZH.finditer(text, lo, start)), default=lo)  # same clause only
        before = text[lo:start]
        if self._pseudo is not None:
            before = self._pseudo.sub(lambda m: "_" * len(m.group()), before)
        if self._negator.search(before[-window:]) is None:
            return False
        rhetorical = self.negation.rhetorical
        return not (any(r in text[lo:start] for r in rhetorical) and _RHETORICAL_TAIL.match(text, end))

    def _negated_en(self, text: str, start: int) -> bool:
        lo = max(0, start - 24 * self.negation.window)  # enough characters for ``window`` words
        lo = max((m.end() for m in _CLAUSE_EN.finditer(text, lo, start)), default=lo)
        words = _WORD.findall(text, lo, start)[-self.negation.window :]
        return any(self._negator.search(w) for w in words)
