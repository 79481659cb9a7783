"""The :class:`Masker`: masks free text in bulk, and masks and pseudonymises identity values."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Sequence

from csqm.privacy.analyzer import WIDE_HINT, fold_width, mask_free_text
from csqm.privacy.identity import identity_display, normalise_identity
from csqm.privacy.model import MaskedIdentity, Recognizer
from csqm.privacy.personal import mask_address, mask_name
from csqm.privacy.recognizers import PatternRecognizer
from csqm.privacy.registry import default_recognizers

Prefilter = Callable[[str], object]

#: In messages, leftover digit runs of 7+ (missed or malformed values) and e-mail local parts.
_LEFTOVER_DIGITS = re.compile(r"[0-9](?:[ -]?[0-9]){6,}")
_LEFTOVER_LOCAL = re.compile(r"[A-Za-z0-9._%+-]+@")


def _any_of(patterns: list[str]) -> Prefilter:
    """One search function for "any of ``patterns`` matches".

    Patterns without capturing groups are joined into one regex (one scan per text); patterns with
    groups are searched one by one, as joining would renumber their backreferences.
    """
    unique = list(dict.fromkeys(patterns))
    plain = [p for p in unique if re.compile(p, re.ASCII).groups == 0]
    searches = [re.compile(p, re.ASCII).search for p in unique if p not in plain]
    if plain:
        try:
            searches.insert(0, re.compile("|".join(f"(?:{p})" for p in plain), re.ASCII).search)
        except re.error:  # e.g. global inline flags such as (?i) that only work at the very start
            searches[:0] = [re.compile(p, re.ASCII).search for p in plain]
    if len(searches) == 1:
        return searches[0]
    return lambda text: any(search(text) for search in searches)


class Screen:
    """Two cheap tests that rule out texts before any recognizer runs.

    ``hint``: one search for any recognizer's ``prefilter`` (e.g. 7 digits in a row, or ``@``), or
    ``None`` if some recognizer has none. ``gate``: one search for any recognizer's regex (before
    validators and context), run on texts that pass the hint; ``None`` unless every recognizer is a
    :class:`PatternRecognizer`. A 20-digit order number passes the hint but not the gate.
    """

    def __init__(self, recognizers: Sequence[Recognizer]) -> None:
        hints = [r.prefilter for r in recognizers]
        self.hint: Prefilter | None = None
        if all(h is not None for h in hints):
            self.hint = _any_of([h for h in hints if h is not None] + [WIDE_HINT])
        self.gate: Prefilter | None = None
        if all(isinstance(r, PatternRecognizer) for r in recognizers):
            self.gate = _any_of([r.regex.pattern for r in recognizers if isinstance(r, PatternRecognizer)])

    def __call__(self, text: str) -> bool:
        """Whether ``text`` may contain a finding."""
        if self.hint is not None and not self.hint(text):
            return False
        return self.gate is None or bool(self.gate(fold_width(text)))


class Masker:
    """Masks personal data before anything is stored.

    ``secret`` keys the pseudonyms (HMAC-SHA256); ``recognizers`` default to the built-in and
    plugin ones; with ``keep_raw`` :meth:`mask_identity` also returns the normalised clear value.
    """

    def __init__(self, secret: bytes, *, recognizers: list[Recognizer] | None = None, keep_raw: bool = False) -> None:
        if not secret:
            raise ValueError("the pseudonymisation secret must not be empty")
        self._secret = bytes(secret)
        self.keep_raw = keep_raw
        self.recognizers = list(recognizers) if recognizers is not None else default_recognizers()
        self._screen = Screen(self.recognizers)

    def __repr__(self) -> str:  # never show the secret
        return f"Masker(recognizers={len(self.recognizers)}, keep_raw={self.keep_raw})"

    def mask_text(self, text: str | None) -> tuple[str | None, tuple[str, ...]]:
        """``text`` with all personal data replaced by display masks, and the sorted kinds found."""
        if not isinstance(text, str) or not self._screen(text):  # None (or NaN) stays as it is
            return text, ()
        return mask_free_text(text, self.recognizers, self._screen)

    def mask_texts(self, texts: Sequence[str | None]) -> tuple[list[str | None], list[str | None]]:
        """Bulk :meth:`mask_text`: the masked texts, and per text its comma-joined kinds or ``None``.

        Texts the prefilter rules out (almost all of them) are passed through untouched, and so are
        values that are not ``str`` (``None``, or a pandas ``NaN``).
        """
        masked: list[str | None] = list(texts)
        kinds: list[str | None] = [None] * len(masked)
        screen, recognizers = self._screen, self.recognizers
        hint, gate = screen.hint, screen.gate
        for i, text in enumerate(masked):
            # Screen.__call__ inlined: it rules out almost every text, and a call per text costs 30%
            if not isinstance(text, str) or (hint is not None and not hint(text)):
                continue
            if gate is not None and not gate(fold_width(text)):
                continue
            new, found = mask_free_text(text, recognizers, screen)
            if found:
                masked[i] = new
                kinds[i] = ",".join(found)
        return masked, kinds

    def normalise(self, kind: str, value: str) -> str | None:
        """Canonical form of an identity value, or ``None`` if empty or clearly not ``kind``.

        ``phone``: digits only; Chinese numbers in national form (86/+86/0086 dropped, so
        ``+86 138-1234-5678`` is ``13812345678``), other countries' with ``00`` + country code;
        ``email``: lower-cased;
        ``social_handle``: lower-cased without a leading ``@``; ``wechat``, ``member_id``,
        ``crm_id``: stripped. Unknown kinds raise ``ValueError``.
        """
        return normalise_identity(kind, value)

    def pseudonym(self, kind: str, value: str) -> str:
        """HMAC-SHA256 (hex) of ``kind:normalised`` under the secret: stable across channels.

        Raises ``ValueError`` (with a masked value) if ``value`` is not a valid ``kind``.
        """
        normalised = normalise_identity(kind, value)
        if normalised is None:
            raise ValueError(f"not a valid {kind}: {redact_for_message(value)!r}")
        return self._hmac(kind, normalised)

    def mask_identity(self, kind: str, value: str) -> MaskedIdentity | None:
        """Display mask, pseudonym and (with ``keep_raw``) clear value; ``None`` if not a valid ``kind``."""
        normalised = normalise_identity(kind, value)
        if normalised is None:
            return None
        return MaskedIdentity(
            kind=kind,
            display=identity_display(kind, value, normalised),
            pseudonym=self._hmac(kind, normalised),
            raw=normalised if self.keep_raw else None,
        )

    def mask_name(self, name: str | None) -> str | None:
        """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧阳**``, ``John Smith`` → ``J*** S****``."""
        return mask_name(name)

    def mask_address(self, address: str | None) -> str | None:
        """Keep the address up to city/district level, e.g. ``广东省深圳市南山区****``."""
        return mask_address(address)

    def _hmac(self, kind: str, normalised: str) -> str:
        message = f"{kind}:{normalised}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()


def redact_for_message(value: object, limit: int = 60) -> str:
    """``str(value)`` safe for error messages, logs and the quarantine table.

    Every finding gets its display mask; digit runs of 7 or more that no recognizer accepted (a
    malformed phone, say) and e-mail-like local parts are starred too. The result is cut to
    ``limit`` characters, ending in ``…`` when cut. Needs no secret.
    """
    text = value if isinstance(value, str) else str(value)
    text = fold_width(text[: limit + 300])  # findings starting within the limit are seen whole
    text, _ = mask_free_text(text)
    text = _LEFTOVER_DIGITS.sub(_star_digits, text)
    text = _LEFTOVER_LOCAL.sub(lambda m: m.group()[0] + "***@", text)
    if len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return text


def _star_digits(match: re.Match[str]) -> str:
    digits = [c for c in match.group() if c.isdigit()]
    return "".join(digits[:2]) + "*" * (len(digits) - 4) + "".join(digits[-2:])
