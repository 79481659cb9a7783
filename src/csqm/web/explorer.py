"""The KPI explorer: chart data, table rows and CSV / XLSX exports of a KPI query (service layer).

The values come from :func:`csqm.web.services.compute_kpis` in the caller's scope; exports are audited.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from csqm.metrics import DIMENSIONS, Catalogue
from csqm.store import Store
from csqm.web.auth import Principal, record_audit
from csqm.web.errors import BadParameterError
from csqm.web.schemas import KpiResultPublic, KpiRowPublic
from csqm.web.services import compute_kpis

GRAINS = ("hour", "day", "week", "month", "quarter")
MAX_METRICS = 8
MAX_SERIES = 24
EXPORT_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Query:
    """What the explorer was asked: metrics, breakdown, grain, local-date window, filter."""

    metrics: tuple[str, ...]
    by: tuple[str, ...] = ()
    grain: str | None = None
    start: date | None = None
    end: date | None = None
    where: str | None = None

    def check(self, catalogue: Catalogue) -> None:
        if not self.metrics:
            raise BadParameterError("Pick at least one metric.")
        if len(self.metrics) > MAX_METRICS:
            raise BadParameterError(f"Pick at most {MAX_METRICS} metrics at a time.")
        unknown = [m for m in self.metrics if m not in catalogue]
        if unknown:
            raise BadParameterError(f"Unknown metric {unknown[0]!r}.")
        bad = [d for d in self.by if d not in DIMENSIONS]
        if bad:
            raise BadParameterError(f"Unknown dimension {bad[0]!r}.")
        if self.grain is not None and self.grain not in GRAINS:
            raise BadParameterError(f"Unknown grain {self.grain!r}: use one of {', '.join(GRAINS)}.")


def run(store: Store, *, principal: Principal, catalogue: Catalogue, query: Query) -> KpiResultPublic:
    """The KPI rows of ``query`` in the principal's scope."""
    query.check(catalogue)
    return compute_kpis(
        store,
        principal=principal,
        catalogue=catalogue,
        metrics=query.metrics,
        by=query.by,
        grain=query.grain,
        start=query.start,
        end=query.end,
        where=query.where,
    )


def _period(row: KpiRowPublic, grain: str | None) -> str:
    if row.period is None:
        return ""
    return row.period.strftime("%Y-%m-%d %H:00" if grain == "hour" else "%Y-%m-%d")


def _dims_label(row: KpiRowPublic, by: Sequence[str]) -> str:
    return " / ".join(str(row.dims.get(d) or "–") for d in by)


def chart(result: KpiResultPublic, *, catalogue: Catalogue, query: Query, lang: str) -> dict[str, Any]:
    """ECharts data: a line per metric × breakdown over periods, or bars per breakdown value."""

    def name(metric: str) -> str:
        m = catalogue[metric]
        return m.name.zh if lang == "zh" else m.name.en

    units = list(dict.fromkeys(catalogue[m].unit for m in query.metrics))[:2]

    def axis(metric: str) -> int:
        unit = catalogue[metric].unit
        return units.index(unit) if unit in units else 0

    values: dict[tuple[str, str], dict[str, float | None]] = {}
    if query.grain:
        xs = sorted({_period(r, query.grain) for r in result.rows})
        for r in result.rows:
            label = name(r.metric) + (f" · {_dims_label(r, query.by)}" if query.by else "")
            values.setdefault((label, r.metric), {})[_period(r, query.grain)] = r.value
    else:
        xs = sorted({_dims_label(r, query.by) for r in result.rows}) if query.by else [""]
        for r in result.rows:
            values.setdefault((name(r.metric), r.metric), {})[_dims_label(r, query.by) if query.by else ""] = r.value
    series = [
        {"name": label, "axis": axis(metric), "data": [v.get(x) for x in xs]}
        for (label, metric), v in list(values.items())[:MAX_SERIES]
    ]
    return {"kind": "line" if query.grain else "bar", "x": xs, "units": units, "series": series}


def frame(result: KpiResultPublic, *, catalogue: Catalogue, query: Query, lang: str) -> pd.DataFrame:
    """The rows as a table: metric id and name, period, breakdown, value, numerator, … status."""
    rows = []
    for r in result.rows:
        m = catalogue[r.metric]
        row: dict[str, Any] = {"metric": r.metric, "name": m.name.zh if lang == "zh" else m.name.en}
        if query.grain:
            row["period"] = _period(r, query.grain)
        row.update({d: r.dims.get(d) for d in query.by})
        row.update(
            value=r.value, unit=r.unit, numerator=r.numerator, denominator=r.denominator,
            sample_size=r.sample_size, target=r.target, warning=r.warning, status=r.status, version=r.version,
        )  # fmt: skip
        rows.append(row)
    columns = ["metric", "name", *(["period"] if query.grain else []), *query.by]
    columns += ["value", "unit", "numerator", "denominator", "sample_size", "target", "warning", "status", "version"]
    return pd.DataFrame(rows, columns=columns)


def export(
    store: Store, *, principal: Principal, catalogue: Catalogue, query: Query, fmt: str, lang: str
) -> tuple[bytes, str]:
    """The query's table as CSV (UTF-8 with BOM, for Excel) or XLSX bytes and its media type; audited."""
    if fmt not in EXPORT_FORMATS:
        raise BadParameterError(f"Unknown export format {fmt!r}: use csv or xlsx.")
    table = frame(
        run(store, principal=principal, catalogue=catalogue, query=query), catalogue=catalogue, query=query, lang=lang
    )
    detail = f"{len(table)} rows of {','.join(query.metrics)}" + (f" by {','.join(query.by)}" if query.by else "")
    record_audit(store, username=principal.username, action="export", target=fmt, outcome="allowed", detail=detail)
    if fmt == "csv":
        return table.to_csv(index=False).encode("utf-8-sig"), "text/csv; charset=utf-8"
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        table.to_excel(writer, index=False, sheet_name="kpis")
        writer.sheets["kpis"].freeze_panes(1, 0)
    return buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
