"""``compute_metrics``: the one function the CLI, API, dashboard, reports and alerts call.

It validates the request, records catalogue changes (M7), compiles the metrics for the store's
engine — one query per stretch of time in which no definition changed — runs it, and returns one row
per metric × period × breakdown with value, numerator, denominator, sample size, the target that
applied and the status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from csqm.metrics import history as hist
from csqm.metrics.catalogue import Catalogue, load_catalogue, user_dir_from_env
from csqm.metrics.compiler import check_request, compile_metrics, with_inputs
from csqm.metrics.compiler import unsupported as unsupported_dims
from csqm.metrics.engines import Engine, engine_for
from csqm.metrics.filters import Filter, parse_where
from csqm.metrics.request import MetricQueryError, Request
from csqm.metrics.results import History, empty_result, long_format, ordered
from csqm.metrics.timegrid import Window, next_start, truncate
from csqm.store.base import Store


def compute_metrics(
    store: Store,
    metrics: Sequence[str] | None = None,
    *,
    by: Sequence[str] = (),
    grain: str | None = None,
    start: date | None = None,
    end: date | None = None,
    where: str | Sequence[str] | Sequence[Filter] | None = None,
    catalogue: Catalogue | None = None,
    timezone: str | None = None,
    record_history: bool = True,
    today: date | None = None,
) -> pd.DataFrame:
    """Compute catalogue metrics on ``store``.

    ``metrics``: ids (default: every active metric that supports the breakdown and filters; the
    others are listed in ``result.attrs["skipped"]``). ``by``: dimensions to break down by.
    ``grain``: hour, day, week, month or quarter in the reporting zone (``timezone``, default the
    catalogue's, Asia/Shanghai). ``start`` / ``end``: local dates, both inclusive. ``where``: the
    ``--where`` filter language or parsed filters. Raises MetricQueryError naming the metric and
    dimension when an explicitly requested metric cannot answer.
    """
    plan = plan_query(
        store,
        metrics,
        by=by,
        grain=grain,
        start=start,
        end=end,
        where=where,
        catalogue=catalogue,
        timezone=timezone,
        record_history=record_history,
        today=today,
    )
    frames = []
    for segment, as_of in plan.segments():
        compiled = compile_metrics(as_of, plan.ids, segment, plan.engine)
        wide = store.query(compiled.sql, compiled.params)
        frames.append(long_format(wide, plan.ids, segment, as_of, plan.versions))
    return plan.result(frames)


Sync = Callable[[Store, Catalogue, date], History]


@dataclass(frozen=True)
class QueryPlan:
    """A validated metric request: what :func:`compute_metrics` and the rollup's answer both start
    from (one place checks zones, filters, dates and metric choice, and records catalogue history)."""

    catalogue: Catalogue
    request: Request
    ids: list[str]
    skipped: dict[str, str]
    versions: History
    engine: Engine

    def segments(self) -> Iterator[tuple[Request, Catalogue]]:
        """The request cut where a definition changed, with the catalogue as of each stretch."""
        for window, as_of in _segments(self.catalogue, self.ids, self.request, self.versions):
            yield replace(self.request, window=window), as_of

    def result(self, frames: list[pd.DataFrame]) -> pd.DataFrame:
        """Long-format frames of the segments, as one ordered result with ``attrs["skipped"]``."""
        if frames:
            result = ordered(pd.concat(frames, ignore_index=True), self.ids, self.request.keys)
        else:
            result = empty_result(self.request)
        result.attrs["skipped"] = self.skipped
        return result


def plan_query(
    store: Store,
    metrics: Sequence[str] | None = None,
    *,
    by: Sequence[str] = (),
    grain: str | None = None,
    start: date | None = None,
    end: date | None = None,
    where: str | Sequence[str] | Sequence[Filter] | None = None,
    catalogue: Catalogue | None = None,
    timezone: str | None = None,
    record_history: bool = True,
    today: date | None = None,
    sync: Sync = hist.sync,
) -> QueryPlan:
    """Validate a :func:`compute_metrics` request and record catalogue changes with ``sync``."""
    cat = catalogue or load_catalogue(user_dir_from_env())
    zone = _zone(timezone or cat.reporting_timezone)
    filters = _filters(where)
    _check_dates(start, end)
    request = Request(tuple(by), grain, Window.inclusive(zone, start, end), filters)
    ids, skipped = _choose(cat, metrics, request)
    versions: History = {}
    if record_history:
        versions = sync(store, cat, today or datetime.now(ZoneInfo(zone)).date())
    return QueryPlan(cat, request, ids, skipped, versions, engine_for(store.dialect))


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise MetricQueryError(f"Unknown time zone {name!r}; use an IANA name like Asia/Shanghai.") from None
    return name


def _filters(where: str | Sequence[str] | Sequence[Filter] | None) -> tuple[Filter, ...]:
    if where is None or isinstance(where, str):
        return parse_where(where)
    items = list(where)
    if all(isinstance(w, Filter) for w in items):
        return tuple(w for w in items if isinstance(w, Filter))
    return parse_where([str(w) for w in items])


def _choose(cat: Catalogue, metrics: Sequence[str] | None, request: Request) -> tuple[list[str], dict[str, str]]:
    if metrics:
        ids = list(dict.fromkeys(metrics))
        check_request(cat, ids, request)
        return ids, {}
    asked = set(request.by) | {f.dimension for f in request.filters}
    ids, skipped = [], {}
    for metric in cat.active():
        missing = unsupported_dims(metric, cat, asked)
        if missing:
            skipped[metric.id] = f"cannot be broken down or filtered by {', '.join(missing)}"
        else:
            ids.append(metric.id)
    if not ids:
        raise MetricQueryError("No metric of the catalogue supports " + ", ".join(sorted(asked)) + ".")
    check_request(cat, ids, request)
    return ids, skipped


def _segments(
    cat: Catalogue, ids: list[str], request: Request, versions: History
) -> Iterator[tuple[Window, Catalogue]]:
    """Stretches of the range in which every involved metric keeps one computation."""
    window = request.window
    involved = with_inputs(cat, ids)
    if not versions or request.grain is None:
        yield window, _as_of(cat, versions, involved, window.start)
        return
    grain = request.grain
    cuts = sorted({_align(grain, v.effective_from) for m in involved for v in versions.get(m, [])})
    cuts = [
        c
        for c in cuts
        if (window.start is None or c > window.start) and (window.end_exclusive is None or c < window.end_exclusive)
    ]
    bounds: list[date | None] = [window.start, *cuts, window.end_exclusive]
    pending: tuple[date | None, Catalogue, tuple[str, ...]] | None = None
    for first in bounds[:-1]:
        as_of = _as_of(cat, versions, involved, first or date.min)
        key = tuple(as_of[m].computation_hash() for m in involved)
        if pending is not None and pending[2] != key:
            yield Window(window.zone, pending[0], first), pending[1]
            pending = None
        if pending is None:
            pending = (first, as_of, key)
    assert pending is not None
    yield Window(window.zone, pending[0], window.end_exclusive), pending[1]


def _align(grain: str, day: date) -> date:
    """First period start on or after ``day``: a period uses the version in effect on its first day."""
    start = truncate(grain, datetime(day.year, day.month, day.day))
    return day if start.date() == day else next_start(grain, start).date()


def _as_of(cat: Catalogue, versions: History, involved: list[str], day: date | None) -> Catalogue:
    swapped = {}
    for metric_id in involved:
        version = hist.in_effect(versions.get(metric_id, []), day)
        if version is not None:
            swapped[metric_id] = version.metric
    return cat.replace(swapped) if swapped else cat


#: The calendar the reporting-zone arithmetic can handle (a day either side stays representable).
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(9998, 12, 31)


def _check_dates(start: date | None, end: date | None) -> None:
    for name, day in (("start", start), ("end", end)):
        if day is not None and not FIRST_DATE <= day <= LAST_DATE:
            raise MetricQueryError(f"The {name} date {day} is outside {FIRST_DATE} … {LAST_DATE}.")
    if start is not None and end is not None and end < start:
        raise MetricQueryError(f"The end date {end} is before the start date {start}.")
