"""REST routes of this capability, mounted under ``/api/v1`` by :func:`csqm.web.routes.api_router`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
