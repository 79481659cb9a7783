"""The overview: KPI tiles against target for the three dimensions, with a trend per tile (service layer).

Values come from :func:`csqm.web.services.compute_kpis` (so from ``compute_metrics``, in the caller's
scope); nothing here computes a KPI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from csqm.metrics import Catalogue, MetricQueryError
from csqm.store import Store
from csqm.web.auth import Principal
from csqm.web.errors import BadParameterError, check_window
from csqm.web.services import compute_kpis

DIMENSIONS = ("efficiency", "quality", "compliance")
#: Periods the selector offers, in days ending on the latest day with data.
PERIODS = (7, 30, 90)
#: compute_metrics' status words → the console's status colours.
STATUS_CLASS = {"good": "met", "warning": "warning", "bad": "missed"}


@dataclass(frozen=True)
class Period:
    """A window of local dates (both inclusive) and the grain of its trend lines."""

    start: date
    end: date
    grain: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class Tile:
    """One KPI against target, with its trend over the period."""

    metric: str
    name_zh: str
    name_en: str
    unit: str
    direction: str
    value: float | None
    target: float | None
    warning: float | None
    status: str
    sample_size: int | None
    trend: list[tuple[str, float | None]] = field(default_factory=list)

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


def latest_day(store: Store, *, timezone: str) -> date:
    """The local date of the newest interaction (today when there is none)."""
    newest = store.scalar('SELECT max("offered_at") FROM "interactions"')
    if newest is None or pd.isna(newest):
        return date.today()
    stamp = pd.Timestamp(newest)
    local = stamp.tz_localize("UTC").tz_convert(ZoneInfo(timezone)) if stamp.tzinfo is None else stamp
    return local.date()


def grain_for(days: int) -> str:
    """Trend grain: days up to a month, weeks up to half a year, months beyond."""
    return "day" if days <= 31 else "week" if days <= 184 else "month"


def choose_period(store: Store, *, timezone: str, days: int | None, start: date | None, end: date | None) -> Period:
    """The window from the selector: explicit ``start``/``end``, else ``days`` ending on the latest day."""
    check_window(start, end)
    if start is not None and end is not None:
        if (end - start).days > 731:
            raise BadParameterError("Choose a period of at most two years.")
        return Period(start, end, grain_for((end - start).days + 1))
    last = end or latest_day(store, timezone=timezone)
    span = days if days in PERIODS else 30
    first = start or last - timedelta(days=span - 1)
    return Period(first, last, grain_for((last - first).days + 1))


def overview_metrics(catalogue: Catalogue) -> list[str]:
    """The metrics on the overview: active, with a target, in one of the three dimensions."""
    return [m.id for m in catalogue.active() if str(m.dimension) in DIMENSIONS and m.target is not None]


def _compute(
    store: Store, principal: Principal, catalogue: Catalogue, ids: list[str], period: Period, grain: str | None
) -> list[dict[str, object]]:
    """KPI rows, metric by metric when one of them cannot answer in this scope (it is left out)."""
    try:
        result = compute_kpis(
            store,
            principal=principal,
            catalogue=catalogue,
            metrics=ids,
            grain=grain,
            start=period.start,
            end=period.end,
        )
        return [r.model_dump() for r in result.rows]
    except MetricQueryError:
        rows: list[dict[str, object]] = []
        for metric in ids:
            try:
                one = compute_kpis(
                    store,
                    principal=principal,
                    catalogue=catalogue,
                    metrics=[metric],
                    grain=grain,
                    start=period.start,
                    end=period.end,
                )
            except MetricQueryError:
                continue
            rows.extend(r.model_dump() for r in one.rows)
        return rows


def overview(store: Store, *, principal: Principal, catalogue: Catalogue, period: Period) -> dict[str, list[Tile]]:
    """Tiles per dimension (efficiency, quality, compliance) for the period, in the caller's scope."""
    ids = overview_metrics(catalogue)
    totals = _compute(store, principal, catalogue, ids, period, None)
    trends = _compute(store, principal, catalogue, ids, period, period.grain)
    series: dict[str, list[tuple[str, float | None]]] = {}
    for row in trends:
        stamp = row["period"]
        label = stamp.date().isoformat() if hasattr(stamp, "date") else str(stamp)
        value = row["value"]
        series.setdefault(str(row["metric"]), []).append((label, None if value is None else float(str(value))))
    tiles: dict[str, list[Tile]] = {d: [] for d in DIMENSIONS}
    for row in totals:
        metric = catalogue[str(row["metric"])]
        value = row["value"]
        size = row["sample_size"]
        tiles[str(metric.dimension)].append(
            Tile(
                metric=metric.id,
                name_zh=metric.name.zh,
                name_en=metric.name.en,
                unit=metric.unit,
                direction=str(metric.direction),
                value=None if value is None else float(str(value)),
                target=metric.target if row["target"] is None else float(str(row["target"])),
                warning=metric.warning if row["warning"] is None else float(str(row["warning"])),
                status=STATUS_CLASS.get(str(row["status"]), "none"),
                sample_size=None if size is None else int(str(size)),
                trend=sorted(series.get(metric.id, [])),
            )
        )
    return tiles
