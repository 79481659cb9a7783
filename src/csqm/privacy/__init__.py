"""Privacy by default: find personal data in identifiers and free text, and mask it before storage.

Pieces (after Microsoft Presidio's design, written from scratch and fast enough for 10M lines):

- *Recognizers* (:class:`Recognizer`, :class:`PatternRecognizer`) find one kind of data and return
  :class:`PiiMatch` findings that say what, where, which recognizer and how sure. The built-ins are
  declared in the shipped ``patterns.yaml``; plugins add more through the entry point group
  ``csqm.pii_recognizers`` and users through their own pattern file (:func:`load_recognizers`).
- :func:`analyze` runs recognizers and resolves overlaps; the :class:`Masker` replaces findings by
  display masks (``138****5678``), pseudonymises identity values (HMAC-SHA256 keyed by the store
  secret) and masks names and addresses; :func:`redact_for_message` makes any value safe for
  error messages, logs and the quarantine table.

Kinds found in free text: ``phone`` (Chinese mobiles with optional +86/86/0086, landlines,
international ``+CC`` numbers), ``id_card`` (PRC resident ID), ``bank_card`` (Luhn), ``email``.
Patterns never use ``\\b`` or ``\\w``: Chinese has no word boundaries, so numbers are delimited by
digit lookarounds and ``手机13812345678谢谢`` or ``邮箱是x@y.com谢谢`` are found. Full-width digits
and letters are folded to ASCII before matching.

Precedence when findings overlap: the longest finding wins, then the higher score. For the numbers
that several recognizers claim (same span), the scores give:

1. an 18-character number that is a valid PRC ID (region 1-9…, birth date 1900-today, ISO 7064
   MOD 11-2 check character) is an ``id_card``, even if it also passes Luhn (score 0.95);
2. a Chinese mobile number, also with an 86 prefix that makes it Luhn-valid, is a ``phone`` (0.9);
3. an ID-shaped number (valid birth date) with a wrong check character, or an old 15-digit ID,
   is an ``id_card`` only with an ID word (身份证, 证件, ID, identity, …) ending at most 12
   characters before it (0.85), and then beats Luhn;
4. otherwise 13-19 digits passing Luhn are a ``bank_card`` (0.8);
5. landlines and international numbers (0.7);
6. 16-19 digits failing Luhn are a ``bank_card`` only after a card word (银行卡, 卡号, card, …) (0.6).

Digit runs that validate as nothing and have no context word (order numbers of 12 or 20 digits,
say) stay as they are: analysts need them. A digit or a dash-plus-digit next to a candidate
blocks it, so no part of a longer number is ever masked.

Masking is idempotent: masks contain no run of 7 digits and no e-mail, masking repeats on its own
output until nothing is found, so masking a masked text changes nothing.
"""

from __future__ import annotations

from csqm.privacy.analyzer import analyze, mask_free_text, redact, resolve_overlaps
from csqm.privacy.config import PatternFileError, PatternSpec
from csqm.privacy.display import display_mask, register_display_mask
from csqm.privacy.masker import Masker, redact_for_message
from csqm.privacy.model import MaskedIdentity, PiiMatch, Recognizer
from csqm.privacy.personal import mask_address, mask_name
from csqm.privacy.recognizers import PatternRecognizer
from csqm.privacy.registry import (
    ENTRY_POINT_GROUP,
    default_recognizers,
    load_recognizers,
    register_provider,
    unregister_provider,
)
from csqm.privacy.validators import register_validator

__all__ = [
    "ENTRY_POINT_GROUP",
    "MaskedIdentity",
    "Masker",
    "PatternFileError",
    "PatternRecognizer",
    "PatternSpec",
    "PiiMatch",
    "Recognizer",
    "analyze",
    "default_recognizers",
    "display_mask",
    "load_recognizers",
    "mask_address",
    "mask_free_text",
    "mask_name",
    "redact",
    "redact_for_message",
    "register_display_mask",
    "register_provider",
    "register_validator",
    "resolve_overlaps",
    "unregister_provider",
]
