"""Live queue KPIs (R2): rolling service level, share answered within 30 s and abandon rate per queue
and per team over the last 15 minutes, from queue events, with alerts against the catalogue targets.

Over the contacts offered in the window ``(now - window, now]``, with ``wait`` = answered (or
abandoned) time − offered time, and for a contact still waiting ``now`` − offered:

- *short abandons* (abandoned before the catalogue's ``short_abandon_seconds``, 5 s) are left out of
  the service level and the abandon rate, as in the catalogue;
- a contact still waiting is *undecided* for a threshold it has not reached yet (left out), and
  counts as not answered in time once it has;
- **service level** = answered with wait ≤ ``threshold_seconds`` (catalogue ``service_level``, 20 s)
  ÷ decided contacts, × 100; target from ``service_level``;
- **answered within 30 s** = answered with wait ≤ ``kpi.answered_within_seconds`` ÷ decided contacts
  (short abandons included), × 100; target from ``online_response_30s``;
- **abandon rate** = abandoned (not short) ÷ (answered + abandoned, not short), × 100; contacts still
  waiting are not counted yet; target from ``abandon_rate``.

An alert ``kpi:<metric>`` is raised for a queue or team whose denominator is at least
``kpi.min_offered`` and whose value is worse than the target (lower than a "higher is better"
target, higher than a "lower is better" one).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from csqm.metrics import Catalogue
from csqm.realtime.alerts import Alert, candidate
from csqm.realtime.config import RealtimeConfig
from csqm.realtime.tables import REALTIME_QUEUE
from csqm.store import Store

#: Live KPI → the catalogue metric whose target (and direction) it is judged against.
TARGET_METRICS = {
    "service_level": "service_level",
    "answered_30s": "online_response_30s",
    "abandon_rate": "abandon_rate",
}


@dataclass(frozen=True)
class LiveKpi:
    """One queue or team over the window: counts and the three rates (None when nothing to divide)."""

    level: str  # "queue" or "team"
    key: str
    offered: int
    answered: int
    abandoned: int
    waiting: int
    service_level: float | None
    answered_30s: float | None
    abandon_rate: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _param(catalogue: Catalogue, metric: str, name: str, default: float) -> float:
    m = catalogue.metrics.get(metric)
    if m is None or name not in m.params:
        return default
    value = m.params[name].value
    return float(value) if isinstance(value, int | float) else default


def _rate(num: int, den: int) -> float | None:
    return None if den == 0 else round(100.0 * num / den, 4)


def live_kpis(store: Store, *, now: datetime, config: RealtimeConfig, catalogue: Catalogue) -> list[LiveKpi]:
    """Every queue and team with contacts offered in the window ending at ``now``."""
    since = now - timedelta(seconds=config.kpi.window_seconds)
    frame = store.query(
        f'SELECT "contact_id", "queue", "team_id", "offered_at", "answered_at", "abandoned_at" '
        f'FROM "{REALTIME_QUEUE.name}" WHERE "offered_at" > ? AND "offered_at" <= ?',
        [since, now],
    )
    if frame.empty:
        return []
    sl_secs = _param(catalogue, "service_level", "threshold_seconds", 20)
    short = _param(catalogue, "service_level", "short_abandon_seconds", 5)
    within = config.kpi.answered_within_seconds
    offered = pd.to_datetime(frame["offered_at"])
    answered = pd.to_datetime(frame["answered_at"])
    abandoned = pd.to_datetime(frame["abandoned_at"])
    is_ans = answered.notna()
    is_ab = abandoned.notna() & ~is_ans
    end = answered.where(is_ans, abandoned.where(is_ab, pd.Timestamp(now)))
    wait = (end - offered).dt.total_seconds()
    waiting = ~is_ans & ~is_ab
    short_ab = is_ab & (wait < short)
    rows = pd.DataFrame(
        {
            "queue": frame["queue"].astype(object).where(frame["queue"].notna(), "-"),
            "team": frame["team_id"].astype(object).where(frame["team_id"].notna(), "-"),
            "answered": is_ans,
            "abandoned": is_ab,
            "waiting": waiting,
            "sl_num": is_ans & (wait <= sl_secs),
            "sl_den": ~short_ab & ~(waiting & (wait <= sl_secs)),
            "w_num": is_ans & (wait <= within),
            "w_den": ~(waiting & (wait <= within)),
            "ab_num": is_ab & ~short_ab,
            "ab_den": is_ans | (is_ab & ~short_ab),
        }
    )
    out = []
    for level, col in (("queue", "queue"), ("team", "team")):
        for key, g in rows.groupby(col, sort=True):
            out.append(
                LiveKpi(
                    level,
                    str(key),
                    len(g),
                    int(g["answered"].sum()),
                    int(g["abandoned"].sum()),
                    int(g["waiting"].sum()),
                    _rate(int(g["sl_num"].sum()), int(g["sl_den"].sum())),
                    _rate(int(g["w_num"].sum()), int(g["w_den"].sum())),
                    _rate(int(g["ab_num"].sum()), int(g["ab_den"].sum())),
                )
            )
    return out


def _denominator(kpi: LiveKpi, name: str) -> int:
    if name == "abandon_rate":
        return kpi.answered + kpi.abandoned
    return kpi.offered - kpi.waiting


def kpi_alerts(store: Store, *, now: datetime, config: RealtimeConfig, catalogue: Catalogue) -> list[Alert]:
    """Alerts for queues and teams whose live KPIs are worse than their catalogue targets."""
    alerts = []
    for kpi in live_kpis(store, now=now, config=config, catalogue=catalogue):
        for name, metric_id in TARGET_METRICS.items():
            metric = catalogue.metrics.get(metric_id)
            value = getattr(kpi, name)
            if metric is None or metric.target is None or value is None:
                continue
            if _denominator(kpi, name) < config.kpi.min_offered:
                continue
            worse = value < metric.target if metric.direction == "higher" else value > metric.target
            if not worse:
                continue
            alerts.append(
                candidate(
                    f"kpi:{name}",
                    f"{kpi.level}:{kpi.key}",
                    basis=now.isoformat(),
                    severity="warning",
                    message=f"{metric.name.zh} {value:.1f}{metric.unit} (target {metric.target:g}{metric.unit}) "
                    f"for {kpi.level} {kpi.key} over the last {config.kpi.window_seconds / 60:.0f} minutes.",
                    evidence=f"offered={kpi.offered} answered={kpi.answered} abandoned={kpi.abandoned} "
                    f"waiting={kpi.waiting}",
                    queue=kpi.key if kpi.level == "queue" else None,
                    team_id=kpi.key if kpi.level == "team" else None,
                )
            )
    return alerts
