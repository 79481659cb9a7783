"""Regex recognizers: a pattern, an optional validator, optional context words."""

from __future__ import annotations

import re
from collections.abc import Iterable

from csqm.privacy.config import PatternSpec
from csqm.privacy.model import PiiMatch, Recognizer
from csqm.privacy.validators import Validator, get_validator

_ASCII_WORD = re.compile(r"[A-Za-z0-9 ]+")


def context_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex for ``words``; ASCII words must not sit inside a longer ASCII word.

    ``ID`` therefore matches in ``身份ID:`` and ``ID number`` but not in ``paid`` or ``IDEA``.
    """
    parts = []
    for word in sorted(set(words), key=len, reverse=True):
        escaped = re.escape(word)
        if _ASCII_WORD.fullmatch(word):
            escaped = f"(?<![A-Za-z]){escaped}(?![A-Za-z])"
        parts.append(escaped)
    return re.compile("|".join(parts), re.IGNORECASE | re.ASCII) if parts else None


class PatternRecognizer(Recognizer):
    """A recognizer built from a regex, as declared in a pattern file.

    A candidate becomes a finding when the validator (if any) accepts it and, for
    ``context_required`` recognizers, a context word ends at most ``context_window`` characters
    before it (``身份证号码是 110…``: the gap ``号码是 `` counts, not the word itself).
    """

    def __init__(
        self,
        name: str,
        kind: str,
        regex: str,
        *,
        score: float = 0.5,
        validator: str | Validator | None = None,
        context: Iterable[str] = (),
        context_window: int = 12,
        context_required: bool = False,
        prefilter: str | None = None,
    ) -> None:
        super().__init__(name, kind, prefilter=prefilter if prefilter is not None else regex)
        self.regex = re.compile(regex, re.ASCII)
        self.score = score
        self.validator = get_validator(validator) if isinstance(validator, str) else validator
        self.context = tuple(context)
        self.context_window = context_window
        self.context_required = context_required
        self._context_re = context_regex(self.context)
        self._longest_word = max((len(word) for word in self.context), default=0)
        self._hint = re.compile(prefilter, re.ASCII) if prefilter is not None else None
        if context_required and self._context_re is None:
            raise ValueError(f"recognizer {name!r} requires context but has no context words")

    @classmethod
    def from_spec(cls, spec: PatternSpec) -> PatternRecognizer:
        """Build from a validated pattern-file entry."""
        return cls(
            spec.name,
            spec.kind,
            spec.regex,
            score=spec.score,
            validator=spec.validator,
            context=spec.context,
            context_window=spec.context_window,
            context_required=spec.context_required,
            prefilter=spec.prefilter,
        )

    def has_context(self, text: str, start: int) -> bool:
        """Whether a context word ends at most ``context_window`` characters before ``start``."""
        if self._context_re is None:
            return False
        lo = max(0, start - self.context_window - self._longest_word)
        return any(m.end() >= start - self.context_window for m in self._context_re.finditer(text, lo, start))

    def find(self, text: str) -> list[PiiMatch]:
        """All validated (and, if required, context-confirmed) candidates in ``text``."""
        if self._hint is not None and self._hint.search(text) is None:
            return []
        found = []
        for m in self.regex.finditer(text):
            if self.context_required and not self.has_context(text, m.start()):
                continue
            hit = m if self._valid(m.group()) else self._shorter(text, m)
            if hit is not None:
                found.append(PiiMatch(self.kind, hit.start(), hit.end(), self.name, self.score))
        return found

    def _valid(self, candidate: str) -> bool:
        return self.validator is None or self.validator(candidate)

    def _shorter(self, text: str, m: re.Match[str]) -> re.Match[str] | None:
        """A rejected candidate may have swallowed a following number (``6222…7894 12点``):
        try it cut at each space inside it, longest first."""
        start = m.start()
        for cut in range(m.end() - 1, start, -1):
            if text[cut] != " ":
                continue
            shorter = self.regex.match(text, start, cut)
            if shorter is not None and self._valid(shorter.group()):
                return shorter
        return None
