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
    """Every queue and team with contacts offered in the window ending at ``now`` (queues first, each
    level sorted by key; a missing queue or team is ``-``).

    Counted by the store, per queue and team pair (a few rows), then summed per queue and per team
    here. It was plain Python over the window's rows: at 2,000 utterances/s the window holds tens
    of thousands of contacts, and the server's timer held the interpreter lock for 30–40 ms every
    second doing it, while the ingress waited."""
    since = now - timedelta(seconds=config.kpi.window_seconds)
    sl_secs = _param(catalogue, "service_level", "threshold_seconds", 20)
    short = _param(catalogue, "service_level", "short_abandon_seconds", 5)
    within = config.kpi.answered_within_seconds
    rows = store.rows(_COUNTS, [now, since, now, short, sl_secs, sl_secs, within, within])
    totals: dict[tuple[str, str], list[int]] = {}
    for queue, team, *counts in rows:
        for group in (("queue", "-" if queue is None else str(queue)), ("team", "-" if team is None else str(team))):
            acc = totals.setdefault(group, [0] * len(counts))
            for i, c in enumerate(counts):
                acc[i] += int(c)
    out = []
    for (level, key), t in sorted(totals.items(), key=lambda item: (item[0][0] != "queue", item[0][1])):
        offered_n, answered_n, abandoned_n, waiting_n, sl_num, sl_den, w_num, w_den, ab_num, ab_den = t
        out.append(
            LiveKpi(
                level,
                key,
                offered_n,
                answered_n,
                abandoned_n,
                waiting_n,
                _rate(sl_num, sl_den),
                _rate(w_num, w_den),
                _rate(ab_num, ab_den),
            )
        )
    return out


def _sum(condition: str) -> str:
    return f"sum(CASE WHEN {condition} THEN 1 ELSE 0 END)"


# One contact offered in the window (see the module doc): answered; abandoned (and not answered);
# waiting (neither); its wait in seconds (to the answer, the abandon, or now); a short abandon. Then
# the sums, in the order of LiveKpi's counts and the rates' numerators and denominators.
# Parameters: now, the window (since, now), short-abandon seconds, service-level seconds (twice),
# answered-within seconds (twice).
_COUNTS = f"""
WITH c AS (
  SELECT "queue", "team_id",
    "answered_at" IS NOT NULL AS ans,
    "abandoned_at" IS NOT NULL AND "answered_at" IS NULL AS ab,
    "answered_at" IS NULL AND "abandoned_at" IS NULL AS waiting,
    EXTRACT(EPOCH FROM (COALESCE("answered_at", "abandoned_at", ?) - "offered_at")) AS wait
  FROM "{REALTIME_QUEUE.name}" WHERE "offered_at" > ? AND "offered_at" <= ?
), d AS (
  SELECT *, ab AND wait < ? AS short_ab FROM c
)
SELECT "queue", "team_id", count(*),
  {_sum("ans")}, {_sum("ab")}, {_sum("waiting")},
  {_sum("ans AND wait <= ?")}, {_sum("NOT short_ab AND NOT (waiting AND wait <= ?)")},
  {_sum("ans AND wait <= ?")}, {_sum("NOT (waiting AND wait <= ?)")},
  {_sum("ab AND NOT short_ab")}, {_sum("ans OR (ab AND NOT short_ab)")}
FROM d
GROUP BY "queue", "team_id"
"""


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
