"""Catalogue, KPI and organisation services: keyword-only functions, scoped, no HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from csqm.metrics import Catalogue, rollup
from csqm.store import Store
from csqm.store.rows import records
from csqm.web import scope
from csqm.web.auth import Principal
from csqm.web.errors import check_window
from csqm.web.schemas import (
    AgentPublic,
    KpiResultPublic,
    KpiRowPublic,
    MetricPublic,
    NamesPublic,
    TeamPublic,
)

_ROW_FIELDS = tuple(f for f in KpiRowPublic.model_fields if f not in ("period", "dims"))


def list_metrics(*, catalogue: Catalogue) -> list[MetricPublic]:
    """Every active catalogue metric with its names, unit, direction and target."""
    return [
        MetricPublic(
            id=m.id,
            name=NamesPublic(zh=m.name.zh, en=m.name.en),
            dimension=str(m.dimension),
            unit=m.unit,
            direction=str(m.direction),
            target=m.target,
            warning=m.warning,
            description=m.description,
        )
        for m in catalogue.active()
    ]


def compute_kpis(
    store: Store,
    *,
    principal: Principal,
    catalogue: Catalogue,
    metrics: Sequence[str] | None = None,
    by: Sequence[str] = (),
    grain: str | None = None,
    start: date | None = None,
    end: date | None = None,
    where: str | None = None,
) -> KpiResultPublic:
    """KPIs via :func:`csqm.metrics.compute_metrics`, limited to the principal's scope.

    Read through :func:`csqm.metrics.rollup.compute_metrics`: the same numbers, from the per-day
    rollup when it is current and holds the metrics' measures, from the raw tables otherwise.
    """
    check_window(start, end)
    filters = ([where] if where else []) + scope.metric_filters(principal)
    frame = rollup.compute_metrics(
        store,
        list(metrics) if metrics else None,
        by=tuple(by),
        grain=grain,
        start=start,
        end=end,
        where=filters or None,
        catalogue=catalogue,
    )
    rows = []
    for rec in records(frame):
        dims = {d: None if rec.get(d) is None else str(rec[d]) for d in by}
        values = {f: rec.get(f) for f in _ROW_FIELDS}
        rows.append(KpiRowPublic.model_validate({**values, "period": rec.get("period"), "dims": dims}))
    skipped = [str(s) for s in frame.attrs.get("skipped", [])]
    return KpiResultPublic(rows=rows, skipped=skipped)


def list_teams(store: Store, *, principal: Principal) -> list[TeamPublic]:
    """Teams the principal may see."""
    cond, params = scope.condition(principal, team_col='"team_id"', agent_col=None)
    frame = store.query(
        f'SELECT "team_id", "centre_id", "name", "business_line" FROM "teams" WHERE {cond} ORDER BY "team_id"',
        params,
    )
    return [TeamPublic(**r) for r in records(frame)]


def list_agents(store: Store, *, principal: Principal, team_id: str | None = None) -> list[AgentPublic]:
    """Agents the principal may see, optionally of one team (another team's list is simply empty)."""
    cond, params = scope.condition(principal, team_col='"team_id"', agent_col='"agent_id"')
    sql = f'SELECT "agent_id", "team_id", "name", "role" FROM "agents" WHERE {cond}'
    if team_id is not None:
        sql += ' AND "team_id" = ?'
        params = [*params, team_id]
    frame = store.query(sql + ' ORDER BY "agent_id"', params)
    return [AgentPublic(**r) for r in records(frame)]
