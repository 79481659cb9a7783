"""``/metrics`` (the catalogue) and ``/kpis`` (values against targets)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from csqm.web import services
from csqm.web.deps import CatalogueDep, StoreDep, UserDep
from csqm.web.routes.common import ERRORS, split_list
from csqm.web.schemas import KpiResultPublic, MetricPublic

router = APIRouter(tags=["metrics"], responses=ERRORS)

Grain = Literal["hour", "day", "week", "month", "quarter"]


@router.get("/metrics", response_model=list[MetricPublic])
def read_metrics(user: UserDep, catalogue: CatalogueDep) -> list[MetricPublic]:
    """The metric catalogue: every active metric with its definition summary and target."""
    return services.list_metrics(catalogue=catalogue)


@router.get("/kpis", response_model=KpiResultPublic)
def read_kpis(
    user: UserDep,
    store: StoreDep,
    catalogue: CatalogueDep,
    metrics: Annotated[list[str] | None, Query(description="Metric ids (repeat or comma-separate).")] = None,
    by: Annotated[list[str] | None, Query(description="Dimensions to break down by.")] = None,
    grain: Annotated[Grain | None, Query(description="Period grain.")] = None,
    start: Annotated[date | None, Query(alias="from", description="First local date, inclusive.")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last local date, inclusive.")] = None,
    where: Annotated[str | None, Query(max_length=500, description="Filter, e.g. channel=phone,chat.")] = None,
) -> KpiResultPublic:
    """KPI values with the target that applied and their status, limited to the caller's scope."""
    return services.compute_kpis(
        store,
        principal=user,
        catalogue=catalogue,
        metrics=split_list(metrics),
        by=split_list(by),
        grain=grain,
        start=start,
        end=end,
        where=where,
    )
