"""Console pages of this capability, mounted by the console's page router."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
