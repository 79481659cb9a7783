"""Errors the web services raise; the app maps each to a status code and ``{"error": ...}``.

Hierarchy::

    CsqmError
    └── WebError
        ├── NotFoundError      404: missing, or outside the caller's scope (never a 403 that leaks)
        ├── ForbiddenError     403: the caller's role may not use this function at all
        └── BadParameterError  400: a parameter the service cannot use
"""

from __future__ import annotations

from datetime import date

from csqm.errors import CsqmError
from csqm.metrics.query import FIRST_DATE, LAST_DATE  # one definition of the dates the calendar can shift


class WebError(CsqmError):
    """Base of the web services' errors."""


class NotFoundError(WebError):
    """The object does not exist, or the caller may not see it (indistinguishable on purpose)."""


class ForbiddenError(WebError):
    """The caller's role may not use this page, endpoint or action (403)."""


class BadParameterError(WebError):
    """A request parameter the service cannot use."""


def check_window(start: date | None, end: date | None) -> None:
    """Refuse a date window that ends before it starts, or dates outside 1900-01-01 … 9998-12-31."""
    for value in (start, end):
        if value is not None and not FIRST_DATE <= value <= LAST_DATE:
            raise BadParameterError(f"The date {value} is out of range; use dates from {FIRST_DATE} to {LAST_DATE}.")
    if start is not None and end is not None and end < start:
        raise BadParameterError(f"The period ends ({end}) before it starts ({start}); swap 'from' and 'to'.")
