"""Bits shared by the routers: documented error responses and list-parameter parsing."""

from __future__ import annotations

from typing import Any

from csqm.web.schemas import ErrorPublic

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorPublic, "description": "A parameter the service cannot use."},
    401: {"model": ErrorPublic, "description": "Missing, unknown or revoked token."},
    404: {"model": ErrorPublic, "description": "Missing or outside your scope."},
    422: {"model": ErrorPublic, "description": "A parameter of the wrong type or range."},
}


def split_list(values: list[str] | None) -> list[str]:
    """``?x=a&x=b`` and ``?x=a,b`` alike; blanks dropped."""
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]
