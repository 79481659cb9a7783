"""Drill-down services: centre → team → agent with headline KPIs, all in the caller's scope (no HTTP).

KPIs come from :func:`csqm.web.services.compute_kpis`; a team or agent outside the caller's scope is
:class:`NotFoundError`, the same as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from csqm.metrics import Catalogue, MetricQueryError
from csqm.store import Store
from csqm.store.rows import records
from csqm.web import scope
from csqm.web.auth import Principal
from csqm.web.errors import NotFoundError
from csqm.web.overview import STATUS_CLASS
from csqm.web.schemas import KpiRowPublic
from csqm.web.services import compute_kpis

#: The KPIs shown beside each team and agent (those the catalogue has).
HEADLINE = ("answer_rate", "aht", "fcr", "csat", "qa_score_avg", "qa_pass_rate")


@dataclass(frozen=True)
class Cell:
    """One KPI value of a row, with its status colour."""

    value: float | None
    status: str


@dataclass
class Row:
    """A team or agent with its headline KPIs."""

    id: str
    name: str
    parent: str | None
    kpis: dict[str, Cell] = field(default_factory=dict)


def headline(catalogue: Catalogue) -> list[str]:
    """The headline metric ids the active catalogue has."""
    active = {m.id for m in catalogue.active()}
    return [m for m in HEADLINE if m in active]


def _kpis_by(
    store: Store,
    principal: Principal,
    catalogue: Catalogue,
    dimension: str,
    start: date | None,
    end: date | None,
    where: str | None = None,
) -> dict[str, dict[str, Cell]]:
    out: dict[str, dict[str, Cell]] = {}

    def run(metrics: list[str]) -> list[KpiRowPublic]:
        result = compute_kpis(
            store,
            principal=principal,
            catalogue=catalogue,
            metrics=metrics,
            by=[dimension],
            start=start,
            end=end,
            where=where,
        )
        return result.rows

    ids = headline(catalogue)
    try:
        rows = run(ids)  # one query for all; metric by metric only when one of them cannot break down so
    except MetricQueryError:
        rows = []
        for metric in ids:
            try:
                rows.extend(run([metric]))
            except MetricQueryError:
                continue
    for row in rows:
        key = row.dims.get(dimension)
        if key is not None:
            out.setdefault(key, {})[row.metric] = Cell(row.value, STATUS_CLASS.get(str(row.status), "none"))
    return out


def team_rows(
    store: Store, *, principal: Principal, catalogue: Catalogue, start: date | None = None, end: date | None = None
) -> list[Row]:
    """Teams in scope (grouped by centre) with their headline KPIs."""
    cond, params = scope.condition(principal, team_col='t."team_id"', agent_col=None)
    frame = store.query(
        'SELECT t."team_id", t."name", t."centre_id", c."name" AS centre_name FROM "teams" t '
        f'LEFT JOIN "centres" c ON c."centre_id" = t."centre_id" WHERE {cond} ORDER BY t."centre_id", t."team_id"',
        params,
    )
    kpis = _kpis_by(store, principal, catalogue, "team", start, end)
    return [
        Row(
            str(r["team_id"]),
            str(r["name"] or r["team_id"]),
            str(r["centre_name"] or r["centre_id"] or ""),
            kpis.get(str(r["team_id"]), {}),
        )
        for r in records(frame)
    ]


def team_detail(
    store: Store,
    *,
    principal: Principal,
    catalogue: Catalogue,
    team_id: str,
    start: date | None = None,
    end: date | None = None,
) -> tuple[Row, list[Row]]:
    """One team in scope and its agents in scope, each with headline KPIs."""
    cond, params = scope.condition(principal, team_col='"team_id"', agent_col=None)
    team = store.query(
        f'SELECT "team_id", "name", "centre_id" FROM "teams" WHERE "team_id" = ? AND {cond}', [team_id, *params]
    )
    if team.empty:
        raise NotFoundError(f"There is no team {team_id!r} that you may see.")
    t = records(team)[0]
    acond, aparams = scope.condition(principal, team_col='"team_id"', agent_col='"agent_id"')
    agents = store.query(
        f'SELECT "agent_id", "name" FROM "agents" WHERE "team_id" = ? AND {acond} ORDER BY "agent_id"',
        [team_id, *aparams],
    )
    kpis = _kpis_by(store, principal, catalogue, "agent", start, end, where=f"team={team_id}")
    team_kpis = _kpis_by(store, principal, catalogue, "team", start, end, where=f"team={team_id}")
    row = Row(str(t["team_id"]), str(t["name"] or t["team_id"]), t["centre_id"], team_kpis.get(team_id, {}))
    return row, [
        Row(str(a["agent_id"]), str(a["name"] or a["agent_id"]), team_id, kpis.get(str(a["agent_id"]), {}))
        for a in records(agents)
    ]


def agent_detail(
    store: Store,
    *,
    principal: Principal,
    catalogue: Catalogue,
    agent_id: str,
    start: date | None = None,
    end: date | None = None,
) -> Row:
    """One agent in scope with headline KPIs (``parent`` is the team id)."""
    cond, params = scope.condition(principal, team_col='"team_id"', agent_col='"agent_id"')
    frame = store.query(
        f'SELECT "agent_id", "name", "team_id" FROM "agents" WHERE "agent_id" = ? AND {cond}', [agent_id, *params]
    )
    if frame.empty:
        raise NotFoundError(f"There is no agent {agent_id!r} that you may see.")
    a = records(frame)[0]
    kpis = _kpis_by(store, principal, catalogue, "agent", start, end, where=f"agent={agent_id}")
    return Row(str(a["agent_id"]), str(a["name"] or a["agent_id"]), a["team_id"], kpis.get(agent_id, {}))
