"""``/catalogue/…``: metrics with their definitions and targets, rule packs, scorecards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from csqm.web import catalogue as service
from csqm.web.console import SERVICE_ROLES, PageUserDep, render, require_roles
from csqm.web.deps import CatalogueDep

router = APIRouter(prefix="/catalogue")


@router.get("/metrics", response_class=HTMLResponse)
def metrics_page(request: Request, user: PageUserDep, catalogue: CatalogueDep) -> HTMLResponse:
    """Every active metric by dimension with unit, direction and target."""
    require_roles(user, *SERVICE_ROLES)
    return render(request, "catalogue/metrics.html", {"groups": service.metric_groups(catalogue)})


@router.get("/metrics/{metric_id}", response_class=HTMLResponse)
def metric_page(
    request: Request, user: PageUserDep, catalogue: CatalogueDep, metric_id: Annotated[str, Path(max_length=100)]
) -> HTMLResponse:
    """One metric: description, exact computation, target and scenarios, breakdowns, owner."""
    require_roles(user, *SERVICE_ROLES)
    return render(request, "catalogue/metric.html", {"d": service.metric_definition(catalogue, metric_id)})


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, user: PageUserDep) -> HTMLResponse:
    """The inspection rules of the loaded packs."""
    require_roles(user, *SERVICE_ROLES)
    packs = service.packs()
    rules = sorted(packs.rules, key=lambda r: (r.pack_id, r.rule.category, r.rule.id))
    return render(request, "catalogue/rules.html", {"rules": rules, "version": packs.version})


@router.get("/scorecards", response_class=HTMLResponse)
def scorecards_page(request: Request, user: PageUserDep) -> HTMLResponse:
    """The scorecards with their weighted items and pass score."""
    require_roles(user, *SERVICE_ROLES)
    packs = service.packs()
    return render(request, "catalogue/scorecards.html", {"cards": packs.scorecards, "version": packs.version})
