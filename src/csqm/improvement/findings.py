"""Findings (L1): quality problems detected from inspection, KPIs and test calls, stored once each.

Detection rules (each a documented setting of :class:`DetectSettings`; see ``docs/improvement.md``):

- **Inspection** — for every rule with fatal or non-fatal findings, the share of inspected
  conversations of a team with ≥ 1 hit is compared with the rest of the organisation (an agent with
  the rest of their team): flagged when it has ≥ ``min_hits`` hits, is ≥ ``min_ratio`` × the rest's
  share and a one-sided two-proportion z-test gives p < ``alpha``.
- **KPI target** — a metric computed per team over the period whose status is ``bad`` (beyond the
  warning level of its target) with at least ``min_sample`` cases.
- **KPI change** — per team and per agent, weekly values of the last ``recent_weeks`` weeks vs the
  ``history_weeks`` weeks before (Welch's t-test): flagged when p < ``alpha``, the change goes the
  metric's bad way and it is at least ``min_change`` (relative) of the earlier mean.
- **Test calls** — read from the test-call tables when they exist (failed key points per team/agent).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from scipy import stats as sps

from csqm.improvement import stats
from csqm.improvement.models import Finding
from csqm.improvement.records import ImprovementError, UnknownIdError, log_event, mask, next_id, now, ready, rows
from csqm.improvement.tables import FINDING_STATUSES, SCOPE_KINDS
from csqm.metrics import Catalogue, Metric, load_catalogue, user_dir_from_env
from csqm.metrics.compiler import unsupported
from csqm.metrics.rollup import compute_metrics
from csqm.store import Store

SOURCES = ("inspection", "kpi", "test_call")
#: The catalogue metric that measures an inspection rule category (what an action on it should move).
RULE_METRICS = {"forbidden": "forbidden_phrase_rate"}


@dataclass(frozen=True)
class DetectSettings:
    """Thresholds of the detection rules (module docstring)."""

    alpha: float = 0.01
    min_hits: int = 5
    min_ratio: float = 2.0
    min_sample: int = 30
    recent_weeks: int = 4
    history_weeks: int = 8
    min_change: float = 0.10
    metrics: tuple[str, ...] | None = None
    target_levels: tuple[str, ...] = ("team", "channel", "business_line")


@dataclass
class Draft:
    """A finding before it is stored."""

    source: str
    scope_kind: str
    scope_value: str | None
    title: str
    evidence: str
    team_id: str | None = None
    agent_id: str | None = None
    metric: str | None = None
    rule_id: str | None = None
    value: float | None = None
    reference: float | None = None
    p_value: float | None = None
    period_start: date | None = None
    period_end: date | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        what = self.rule_id or self.metric or self.title
        if self.source == "manual":
            what = f"{self.title}|{self.extra.get('at', '')}"
        return f"{self.source}|{self.scope_kind}={self.scope_value}|{what}|{self.period_start}..{self.period_end}"


def utc_bounds(start: date, end: date, zone: str) -> tuple[datetime, datetime]:
    """Local days ``start``..``end`` (inclusive) as a half-open UTC range (naive, as stored)."""
    tz = ZoneInfo(zone)
    lo = datetime.combine(start, time(), tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    hi = datetime.combine(end + timedelta(days=1), time(), tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    return lo, hi


def default_period(store: Store, zone: str, days: int = 28) -> tuple[date, date]:
    """The last ``days`` local days up to the newest conversation in the store."""
    newest = store.scalar('SELECT max("offered_at") FROM "interactions"')
    if newest is None or pd.isna(newest):
        raise ImprovementError("There are no conversations in the store; ingest data first (csqm ingest).")
    stamp = pd.Timestamp(newest).tz_localize("UTC").tz_convert(zone)
    end = stamp.date()
    return end - timedelta(days=days - 1), end


def _one_sided_p(x1: float, n1: float, x0: float, n0: float) -> float:
    """p-value that the rate x1/n1 exceeds x0/n0 (pooled two-proportion z, one-sided)."""
    if n1 <= 0 or n0 <= 0:
        return 1.0
    pooled = (x1 + x0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if se == 0:
        return 1.0
    return float(sps.norm.sf((x1 / n1 - x0 / n0) / se))


def detect_inspection(store: Store, start: date, end: date, zone: str, cfg: DetectSettings) -> list[Draft]:
    """Rules hit unusually often by a team (vs the rest) or an agent (vs the rest of the team)."""
    lo, hi = utc_bounds(start, end, zone)
    base = (
        'FROM "inspection_results" AS r JOIN "interactions" AS i ON i."interaction_id" = r."interaction_id" '
        'WHERE r."score" IS NOT NULL AND i."offered_at" >= ? AND i."offered_at" < ? AND i."team_id" IS NOT NULL'
    )
    cases = store.query(f'SELECT i."team_id", i."agent_id", count(*) AS n {base} GROUP BY 1, 2', (lo, hi))
    hits = store.query(
        'SELECT i."team_id", i."agent_id", f."rule_id", max(f."category") AS category, '
        'count(DISTINCT f."interaction_id") AS x '
        'FROM "inspection_results" AS r JOIN "interactions" AS i ON i."interaction_id" = r."interaction_id" '
        'JOIN "inspection_findings" AS f ON f."interaction_id" = r."interaction_id" '
        'WHERE r."score" IS NOT NULL AND i."offered_at" >= ? AND i."offered_at" < ? AND i."team_id" IS NOT NULL '
        "AND f.\"severity\" IN ('fatal', 'non_fatal') GROUP BY 1, 2, 3",
        (lo, hi),
    )
    if cases.empty or hits.empty:
        return []
    cases["n"] = cases["n"].astype("int64")
    hits["x"] = hits["x"].astype("int64")
    drafts: list[Draft] = []
    team_n = cases.groupby("team_id")["n"].sum()
    total_n = int(team_n.sum())
    for rule_id, rule_hits in hits.groupby("rule_id"):
        metric = RULE_METRICS.get(str(rule_hits["category"].iloc[0]))
        team_x = rule_hits.groupby("team_id")["x"].sum()
        total_x = int(team_x.sum())
        for team_id, x in team_x.items():
            n = int(team_n.get(team_id, 0))
            draft = _rate_draft(
                int(x), n, total_x - int(x), total_n - n, cfg, "team", str(team_id), str(rule_id), "other teams"
            )
            if draft:
                drafts.append(replace(draft, team_id=str(team_id), metric=metric))
        agent_n = {(str(r["team_id"]), str(r["agent_id"])): int(r["n"]) for r in cases.dropna().to_dict("records")}
        for rec in rule_hits.dropna(subset=["agent_id"]).to_dict("records"):
            team, agent, x = str(rec["team_id"]), str(rec["agent_id"]), int(rec["x"])
            n = agent_n.get((team, agent), 0)
            tx, tn = int(team_x.get(team, 0)), int(team_n.get(team, 0))
            draft = _rate_draft(x, n, tx - x, tn - n, cfg, "agent", agent, str(rule_id), f"the rest of team {team}")
            if draft:
                drafts.append(replace(draft, team_id=team, agent_id=agent, metric=metric))
    for d in drafts:
        d.period_start, d.period_end = start, end
    return drafts


def _rate_draft(
    x: int, n: int, x0: int, n0: int, cfg: DetectSettings, kind: str, value: str, rule_id: str, rest: str
) -> Draft | None:
    if n <= 0 or x < cfg.min_hits:
        return None
    rate = 100.0 * x / n
    ref = 100.0 * x0 / n0 if n0 > 0 else None
    if ref is not None and rate < cfg.min_ratio * ref:
        return None
    p = _one_sided_p(x, n, x0, n0) if n0 > 0 else None
    if p is not None and p >= cfg.alpha:
        return None
    ref_text = f"{ref:.1f} % in {rest}" if ref is not None else f"no {rest} to compare"
    p_text = "" if p is None else f", one-sided z-test {'p < 0.001' if p < 0.001 else f'p = {p:.3f}'}"
    return Draft(
        source="inspection",
        scope_kind=kind,
        scope_value=value,
        title=f"{kind.capitalize()} {value}: rule {rule_id} in {rate:.1f} % of conversations",
        evidence=f"{x} of {n} inspected conversations hit {rule_id} ({rate:.1f} %) vs {ref_text}{p_text}.",
        rule_id=rule_id,
        value=rate,
        reference=ref,
        p_value=p,
    )


def _target_metrics(cat: Catalogue, cfg: DetectSettings) -> list[str]:
    if cfg.metrics is not None:
        for m in cfg.metrics:
            if m not in cat:
                raise ImprovementError(f"There is no metric {m!r} in the catalogue; see `csqm metrics --list`.")
        return list(cfg.metrics)
    return [m.id for m in cat.active() if m.target is not None]


def _compute(store: Store, ids: list[str], cat: Catalogue, **kw: Any) -> pd.DataFrame:
    """compute_metrics for the ``ids`` that can answer the breakdown (the others are left out), read
    through the KPI rollup where it is current: the same answer, without rescanning the raw tables."""
    asked = set(kw.get("by", ()))
    usable = [m for m in ids if not unsupported(cat[m], cat, asked)]
    if not usable:
        return pd.DataFrame()
    return compute_metrics(store, usable, catalogue=cat, record_history=False, **kw)


_LEVEL_LABELS = {"team": "Team", "agent": "Agent", "channel": "Channel", "business_line": "Business line"}


def detect_kpi_targets(store: Store, start: date, end: date, cat: Catalogue, cfg: DetectSettings) -> list[Draft]:
    """Per team, channel and business line (``target_levels``) over the period: metrics whose status is
    ``bad`` (beyond the warning level of the target that applies, scenario targets included)."""
    ids = _target_metrics(cat, cfg)
    drafts: list[Draft] = []
    for level in cfg.target_levels:
        frame = _compute(store, ids, cat, by=[level], start=start, end=end)
        if frame.empty:
            continue
        bad = frame[(frame["status"] == "bad") & (frame["sample_size"] >= cfg.min_sample) & frame[level].notna()]
        for rec in bad.to_dict("records"):
            metric = cat[str(rec["metric"])]
            unit = "" if metric.unit in ("", "1") else f" {metric.unit}"
            value, target, where = float(rec["value"]), float(rec["target"]), str(rec[level])
            label = _LEVEL_LABELS.get(level, level)
            drafts.append(
                Draft(
                    source="kpi",
                    scope_kind=level,
                    scope_value=where,
                    team_id=where if level == "team" else None,
                    agent_id=where if level == "agent" else None,
                    metric=metric.id,
                    title=f"{label} {where}: {metric.name.en} {value:.4g}{unit} misses its target {target:g}{unit}",
                    evidence=(
                        f"{metric.id} = {value:.4g}{unit} over {start}..{end} ({rec['sample_size']} cases); target "
                        f"{target:g}{unit}, warning {float(rec['warning']):g}{unit}, {metric.direction} is better."
                    ),
                    value=value,
                    reference=target,
                    period_start=start,
                    period_end=end,
                )
            )
    return drafts


def detect_kpi_changes(store: Store, end: date, cat: Catalogue, cfg: DetectSettings) -> list[Draft]:
    """Per team and agent: the last ``recent_weeks`` weeks significantly worse than the weeks before."""
    weeks = cfg.recent_weeks + cfg.history_weeks
    last_monday = end - timedelta(days=end.weekday())
    if end.weekday() != 6:  # the week of ``end`` is incomplete: stop at the previous Sunday
        last_monday -= timedelta(days=7)
    first = last_monday - timedelta(days=7 * (weeks - 1))
    stop = last_monday + timedelta(days=6)
    split = last_monday - timedelta(days=7 * (cfg.recent_weeks - 1))
    ids = _target_metrics(cat, cfg)
    drafts: list[Draft] = []
    for level in ("team", "agent"):
        frame = _compute(store, ids, cat, by=[level], grain="week", start=first, end=stop)
        if frame.empty:
            continue
        frame = frame[frame[level].notna() & frame["value"].notna() & (frame["sample_size"] >= 5)]
        week = ((pd.to_datetime(frame["period"]) - pd.Timestamp(first)).dt.days // 7).to_numpy()
        values = frame["value"].to_numpy(dtype="float64")
        keys = list(zip(frame["metric"].astype(str), frame[level].astype(str), strict=True))
        positions: dict[tuple[str, str], list[int]] = {}
        for i, key in enumerate(keys):
            positions.setdefault(key, []).append(i)
        for (metric_id, group), where in positions.items():
            series = [float("nan")] * weeks
            for i in where:
                if 0 <= week[i] < weeks:
                    series[int(week[i])] = float(values[i])
            draft = _change_draft(series, cat[metric_id], level, group, first, split, stop, cfg)
            if draft is not None:
                drafts.append(draft)
    return drafts


def _fill_teams(store: Store, drafts: Iterable[Draft]) -> None:
    """Agents' findings carry the agent's team (for team leads' scope)."""
    for d in drafts:
        if d.agent_id and not d.team_id:
            team = store.scalar('SELECT "team_id" FROM "agents" WHERE "agent_id" = ?', (d.agent_id,))
            d.team_id = None if team is None else str(team)


def detect(
    store: Store,
    *,
    sources: Sequence[str] = SOURCES,
    start: date | None = None,
    end: date | None = None,
    settings: DetectSettings | None = None,
    catalogue: Catalogue | None = None,
    username: str = "csqm",
) -> tuple[list[Finding], int]:
    """Detect findings from ``sources`` over local days ``start``..``end`` (default: the last 28 days
    of data) and store the new ones; returns (new findings, how many were already recorded)."""
    cfg = settings or DetectSettings()
    cat = catalogue or load_catalogue(user_dir_from_env())
    for s in sources:
        if s not in SOURCES:
            raise ImprovementError(f"Unknown finding source {s!r}: use {', '.join(SOURCES)}.")
    ready(store)
    zone = cat.reporting_timezone
    if start is None or end is None:
        d_start, d_end = default_period(store, zone)
        start, end = start or d_start, end or d_end
    if end < start:
        raise ImprovementError(f"The period ends ({end}) before it starts ({start}).")
    drafts: list[Draft] = []
    if "inspection" in sources:
        drafts += detect_inspection(store, start, end, zone, cfg)
    if "kpi" in sources:
        drafts += detect_kpi_targets(store, start, end, cat, cfg)
        drafts += detect_kpi_changes(store, end, cat, cfg)
    if "test_call" in sources:
        from csqm.improvement.testcall_source import detect_test_calls

        drafts += detect_test_calls(store, start, end, zone, cfg)
    _fill_teams(store, drafts)
    return record(store, drafts, username=username)


def record(store: Store, drafts: Sequence[Draft], *, username: str) -> tuple[list[Finding], int]:
    """Store drafts whose fingerprint is new (one transaction); returns (new findings, skipped count)."""
    ready(store)
    known = set(store.query('SELECT "fingerprint" FROM "improvement_findings"')["fingerprint"].dropna())
    new_ids: list[str] = []
    skipped = 0
    stamp = now()
    with store.transaction():
        number = int(next_id(store, "improvement_findings", "finding_id", "F")[1:])
        for d in drafts:
            if d.fingerprint in known:
                skipped += 1
                continue
            known.add(d.fingerprint)
            fid = f"F{number:05d}"
            number += 1
            store.execute(
                'INSERT INTO "improvement_findings" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                (
                    fid, d.source, d.scope_kind, d.scope_value, d.team_id, d.agent_id, d.metric, d.rule_id,
                    mask(d.title), mask(d.evidence), d.value, d.reference, d.p_value, d.period_start,
                    d.period_end, d.fingerprint, "open", stamp, username,
                ),
            )  # fmt: skip
            store.execute(  # a new finding's log starts at event 1
                'INSERT INTO "improvement_events" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
                (fid, 1, stamp, username, "created", None, None, None, f"Detected from {d.source}."),
            )
            new_ids.append(fid)
    if not new_ids:
        return [], skipped
    marks = ", ".join("?" for _ in new_ids)
    found = list_findings(store, extra_condition=(f'"finding_id" IN ({marks})', list(new_ids)))
    return sorted(found, key=lambda f: f.finding_id), skipped


def add_finding(
    store: Store,
    *,
    username: str,
    title: str,
    scope_kind: str = "all",
    scope_value: str | None = None,
    metric: str | None = None,
    evidence: str | None = None,
    catalogue: Catalogue | None = None,
) -> Finding:
    """Record a finding by hand (source ``manual``)."""
    if not title or not title.strip():
        raise ImprovementError("A finding needs a title saying what is wrong.")
    if scope_kind not in SCOPE_KINDS:
        raise ImprovementError(f"Unknown scope {scope_kind!r}: use {', '.join(SCOPE_KINDS)}.")
    if scope_kind != "all" and not scope_value:
        raise ImprovementError(f"A {scope_kind} scope needs a value.")
    if metric is not None and metric not in (catalogue or load_catalogue(user_dir_from_env())):
        raise ImprovementError(f"There is no metric {metric!r} in the catalogue; see `csqm metrics --list`.")
    draft = Draft(
        source="manual",
        scope_kind=scope_kind,
        scope_value=scope_value,
        title=title.strip(),
        evidence=evidence or "",
        metric=metric,
        team_id=scope_value if scope_kind == "team" else None,
        agent_id=scope_value if scope_kind == "agent" else None,
        extra={"at": now().isoformat()},
    )
    _fill_teams(ready(store), [draft])
    found, _ = record(store, [draft], username=username)
    if not found:  # the same title recorded in the same microsecond
        raise ImprovementError("This finding was just recorded.")
    return found[0]


_FINDING_DATES = ("period_start", "period_end")


def list_findings(
    store: Store,
    *,
    status: str | None = None,
    source: str | None = None,
    team_id: str | None = None,
    agent_id: str | None = None,
    extra_condition: tuple[str, list[object]] | None = None,
) -> list[Finding]:
    """Findings, newest first, optionally filtered."""
    ready(store)
    where: list[str] = ["1 = 1"]
    params: list[object] = []
    for col, val in (("status", status), ("source", source), ("team_id", team_id), ("agent_id", agent_id)):
        if val is not None:
            where.append(f'"{col}" = ?')
            params.append(val)
    if extra_condition is not None:
        where.append(extra_condition[0])
        params.extend(extra_condition[1])
    frame = store.query(
        f'SELECT * FROM "improvement_findings" WHERE {" AND ".join(where)} ORDER BY "finding_id" DESC', params
    )
    return [Finding.model_validate(_finding_row(r)) for r in rows(frame, _FINDING_DATES)]


def _finding_row(row: dict[str, object]) -> dict[str, object]:
    row.pop("fingerprint", None)
    return row


def get_finding(store: Store, finding_id: str) -> Finding:
    frame = ready(store).query('SELECT * FROM "improvement_findings" WHERE "finding_id" = ?', (finding_id,))
    if frame.empty:
        raise UnknownIdError(f"There is no finding {finding_id!r}; see `csqm actions findings`.")
    return Finding.model_validate(_finding_row(rows(frame, _FINDING_DATES)[0]))


def set_finding_status(
    store: Store, finding_id: str, status: str, *, username: str, note: str | None = None
) -> Finding:
    """Change a finding's status (logged)."""
    if status not in FINDING_STATUSES:
        raise ImprovementError(f"Unknown finding status {status!r}: use {', '.join(FINDING_STATUSES)}.")
    old = get_finding(store, finding_id)
    if old.status != status:
        with store.transaction():
            store.execute('UPDATE "improvement_findings" SET "status" = ? WHERE "finding_id" = ?', (status, finding_id))
            log_event(store, finding_id, username=username, kind="status", field="status", old=old.status, new=status,
                      note=note)  # fmt: skip
    return get_finding(store, finding_id)


def _change_draft(
    series: list[float],
    metric: Metric,
    level: str,
    group: str,
    first: date,
    split: date,
    stop: date,
    cfg: DetectSettings,
) -> Draft | None:
    """A step (recent weeks vs the weeks before) or a linear trend over all weeks, going the bad way."""
    unit = "" if metric.unit in ("", "1") else f" {metric.unit}"
    cut = (split - first).days // 7
    old = [v for v in series[:cut] if v == v]
    new = [v for v in series[cut:] if v == v]
    title = evidence = ""
    before = after = p = float("nan")
    if len(old) >= 3 and len(new) >= 2:
        res = stats.welch(old, new)
        big = res.before != 0 and abs(res.change) >= cfg.min_change * abs(res.before)
        if big and stats.verdict(res.change, res.p_value, cfg.alpha, metric.direction) == "worse":
            before, after, p = res.before, res.after, res.p_value
            evidence = (
                f"Weekly {metric.id}: mean {res.after:.4g}{unit} in the {len(new)} weeks from {split} vs "
                f"{res.before:.4g} in the {len(old)} weeks before (Welch t = {res.statistic:.2f}, "
                f"p = {res.p_value:.4f}, d = {res.effect_size:.2f}); {metric.direction} is better."
            )
    if not evidence and sum(v == v for v in series) >= 6:
        tr = stats.trend(series)
        change = tr.end - tr.start
        big = tr.start != 0 and abs(change) >= cfg.min_change * abs(tr.start)
        if big and stats.verdict(change, tr.p_value, cfg.alpha, metric.direction) == "worse":
            before, after, p = tr.start, tr.end, tr.p_value
            evidence = (
                f"Weekly {metric.id} from {first} to {stop} trends {tr.slope:+.4g}{unit} a week, from {tr.start:.4g} "
                f"to {tr.end:.4g} on the fitted line ({tr.n} weeks, slope p = {tr.p_value:.4f}); "
                f"{metric.direction} is better."
            )
    if not evidence:
        return None
    title = f"{level.capitalize()} {group}: {metric.name.en} worsened from {before:.4g} to {after:.4g}{unit}"
    return Draft(
        source="kpi",
        scope_kind=level,
        scope_value=group,
        team_id=group if level == "team" else None,
        agent_id=group if level == "agent" else None,
        metric=metric.id,
        title=title,
        evidence=evidence,
        value=after,
        reference=before,
        p_value=p,
        period_start=first,
        period_end=stop,
    )
