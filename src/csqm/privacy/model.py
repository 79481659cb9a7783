"""Value types of the privacy package: findings, the recognizer interface, masked identities."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

#: The kinds of personal data the built-in recognizers find in free text.
TEXT_KINDS = ("phone", "id_card", "bank_card", "email")


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One finding: which kind of personal data sits where, and which recognizer said so.

    ``start``/``end`` are character offsets into the analysed text (``text[start:end]``).
    """

    kind: str
    start: int
    end: int
    recognizer: str
    score: float

    @property
    def length(self) -> int:
        """Number of characters the finding covers."""
        return self.end - self.start

    def describe(self) -> str:
        """A one-line explanation without the value itself, e.g. ``phone at 2-13 (cn_mobile, 0.90)``."""
        return f"{self.kind} at {self.start}-{self.end} ({self.recognizer}, {self.score:.2f})"


class Recognizer(ABC):
    """Finds one kind of personal data in a text.

    Subclasses implement :meth:`find`, which :func:`csqm.privacy.analyze` calls with full-width
    ASCII already folded (``１３８`` → ``138``, same offsets). ``prefilter`` is an optional regular
    expression (compiled with ``re.ASCII``) that matches somewhere in every text in which
    :meth:`find` can find anything; bulk masking skips texts it does not match. ``None`` means "no
    shortcut": the recognizer runs on every text, which is correct but slow.
    """

    def __init__(self, name: str, kind: str, *, prefilter: str | None = None) -> None:
        self.name = name
        self.kind = kind
        self.prefilter = prefilter

    @abstractmethod
    def find(self, text: str) -> list[PiiMatch]:
        """All findings in ``text`` (overlaps allowed; :func:`csqm.privacy.analyze` resolves them)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, kind={self.kind!r})"


@dataclass(frozen=True, slots=True)
class MaskedIdentity:
    """An identity value ready to store: display mask, keyed pseudonym, optionally the clear value.

    ``raw`` is the normalised clear value only when the masker was built with ``keep_raw=True``.
    """

    kind: str
    display: str
    pseudonym: str
    raw: str | None = None
