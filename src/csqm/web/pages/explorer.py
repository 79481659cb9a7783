"""``/explorer``: pick metrics, dimensions and grain; chart and table; CSV / XLSX export (audited)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from csqm.errors import ConfigError
from csqm.metrics import DIMENSIONS, MetricQueryError
from csqm.web import explorer
from csqm.web.console import SERVICE_ROLES, PageUserDep, render, request_lang, require_roles
from csqm.web.deps import CatalogueDep, StoreDep
from csqm.web.errors import BadParameterError
from csqm.web.overview import DIMENSIONS as GROUPS
from csqm.web.routes.common import split_list

router = APIRouter()


def _query(
    metrics: list[str] | None,
    by: list[str] | None,
    grain: str | None,
    start: date | None,
    end: date | None,
    where: str | None,
) -> explorer.Query:
    return explorer.Query(
        metrics=tuple(split_list(metrics)),
        by=tuple(split_list(by)),
        grain=grain or None,
        start=start,
        end=end,
        where=where or None,
    )


Metrics = Annotated[list[str] | None, Query()]
By = Annotated[list[str] | None, Query()]
Grain = Annotated[str | None, Query(max_length=10)]
Start = Annotated[date | None, Query(alias="from")]
End = Annotated[date | None, Query(alias="to")]
Where = Annotated[str | None, Query(max_length=500)]


@router.get("/explorer", response_class=HTMLResponse)
def explorer_page(
    request: Request,
    user: PageUserDep,
    store: StoreDep,
    catalogue: CatalogueDep,
    metrics: Metrics = None,
    by: By = None,
    grain: Grain = None,
    start: Start = None,
    end: End = None,
    where: Where = None,
) -> HTMLResponse:
    """The explorer form; with metrics picked, the chart and the table of values against target."""
    require_roles(user, *SERVICE_ROLES)
    query = _query(metrics, by, grain, start, end, where)
    lang = request_lang(request)
    context: dict[str, object] = {
        "query": query,
        "groups": [
            (g, [m for m in catalogue.active() if str(m.dimension) == g]) for g in (*GROUPS, "customer", "workforce")
        ],
        "dimensions": list(DIMENSIONS),
        "grains": explorer.GRAINS,
        "table": None,
        "chart": None,
        "error": None,
        "export_query": request.url.query,
    }
    if query.metrics:
        try:
            result = explorer.run(store, principal=user, catalogue=catalogue, query=query)
        except (BadParameterError, MetricQueryError, ConfigError) as exc:
            context["error"] = str(exc)
        else:
            context["table"] = explorer.frame(result, catalogue=catalogue, query=query, lang=lang)
            context["chart"] = explorer.chart(result, catalogue=catalogue, query=query, lang=lang)
            context["skipped"] = result.skipped
    return render(request, "explorer.html", context)


@router.get("/explorer/export.{fmt}")
def explorer_export(
    request: Request,
    user: PageUserDep,
    store: StoreDep,
    catalogue: CatalogueDep,
    fmt: str,
    metrics: Metrics = None,
    by: By = None,
    grain: Grain = None,
    start: Start = None,
    end: End = None,
    where: Where = None,
) -> Response:
    """The explorer's table as CSV or XLSX (audited)."""
    require_roles(user, *SERVICE_ROLES)
    query = _query(metrics, by, grain, start, end, where)
    body, media = explorer.export(
        store, principal=user, catalogue=catalogue, query=query, fmt=fmt, lang=request_lang(request)
    )
    name = f"kpis-{'-'.join(query.metrics)[:60]}.{fmt}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
