"""One router per resource, all mounted under ``/api/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from csqm.web.routes import conversations, metrics, org


def api_router() -> APIRouter:
    """The ``/api/v1`` router with every resource router included."""
    router = APIRouter(prefix="/api/v1")
    router.include_router(metrics.router)
    router.include_router(org.router)
    router.include_router(conversations.router)
    return router
