"""One router per resource, all mounted under ``/api/v1``."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

from csqm.web.routes import catalogue, conversations, customers, metrics, org, review

#: Capability packages that contribute routes; each module defines ``router``.
_CAPABILITY_ROUTERS = ("csqm.testcalls.api", "csqm.improvement.api", "csqm.realtime.api")


def api_router() -> APIRouter:
    """The ``/api/v1`` router with every resource router included."""
    router = APIRouter(prefix="/api/v1")
    router.include_router(metrics.router)
    router.include_router(org.router)
    router.include_router(conversations.router)
    router.include_router(customers.router)
    router.include_router(review.router)
    router.include_router(catalogue.router)
    for module in _CAPABILITY_ROUTERS:
        router.include_router(importlib.import_module(module).router)
    return router
