"""``/``: the overview of the three dimensions with KPI tiles against target and trend lines."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from csqm.web import overview as service
from csqm.web.console import SERVICE_ROLES, PageUserDep, render, request_lang, require_roles
from csqm.web.deps import CatalogueDep, StateDep, StoreDep

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def overview_page(
    request: Request,
    user: PageUserDep,
    store: StoreDep,
    state: StateDep,
    catalogue: CatalogueDep,
    days: Annotated[int | None, Query(ge=1, le=3660)] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> HTMLResponse:
    """KPI tiles per dimension for the chosen period, in the user's scope."""
    if user.role not in SERVICE_ROLES:
        require_roles(user, *SERVICE_ROLES)
    period = service.choose_period(store, timezone=state.settings.timezone, days=days, start=start, end=end)
    tiles = service.overview(store, principal=user, catalogue=catalogue, period=period)
    lang = request_lang(request)
    trends = {
        tile.metric: {"x": [p for p, _ in tile.trend], "y": [v for _, v in tile.trend], "target": tile.target}
        for group in tiles.values()
        for tile in group
    }
    context = {
        "tiles": tiles,
        "period": period,
        "periods": service.PERIODS,
        "days": days if start is None and end is None else None,
        "lang_name": lang,
        "trends": trends,
    }
    return render(request, "overview.html", context)
