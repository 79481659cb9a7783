"""The console: server-rendered pages on the same service functions and scope as the API.

:func:`page_router` gathers the console's own pages and the pages of the capability packages
(``csqm.testcalls.pages`` under ``/testcalls``, ``csqm.improvement.pages`` under ``/improvement``,
``csqm.realtime.pages`` under ``/realtime``).
"""

from __future__ import annotations

import importlib

from fastapi import APIRouter

from csqm.web.pages import catalogue, drilldown, explorer, login, overview, review

#: Capability packages that contribute pages; each module defines ``router``, mounted under the prefix.
CAPABILITY_PAGES = (
    ("csqm.testcalls.pages", "/testcalls"),
    ("csqm.improvement.pages", "/improvement"),
    ("csqm.realtime.pages", "/realtime"),
)


def page_router() -> APIRouter:
    """Every console page (HTML; not part of the OpenAPI schema)."""
    router = APIRouter(include_in_schema=False)
    router.include_router(login.router)
    router.include_router(overview.router)
    router.include_router(drilldown.router)
    router.include_router(explorer.router)
    router.include_router(review.router)
    router.include_router(catalogue.router)
    for module, prefix in CAPABILITY_PAGES:
        router.include_router(importlib.import_module(module).router, prefix=prefix)
    return router
