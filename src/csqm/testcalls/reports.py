"""Reports (T7): per plan, month, team, agent, scenario, channel or tester — mean, sample standard
deviation, percentages against the standards, the monthly trend, correlations, the weak links and the
common problems; exportable as CSV, XLSX or JSON.

Statistics use the sample standard deviation (n − 1) and Pearson's r; both are ``None`` below 2 (std) or
3 (r) values, or when a variable does not vary.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from csqm.testcalls.errors import TestcallError
from csqm.testcalls.model import Standards
from csqm.testcalls.standards import Verdict, aggregates, evaluate, rating_mean

Row = Mapping[str, Any]
Dimension = Literal["plan", "month", "team", "agent", "scenario", "channel", "tester"]
DIMENSIONS: dict[str, str] = {
    "plan": "plan_id",
    "month": "month",
    "team": "team_id",
    "agent": "agent_id",
    "scenario": "scenario_id",
    "channel": "channel",
    "tester": "tester_id",
}
#: Per-test measures summarised by mean and standard deviation.
MEASURES = (
    "rating",
    "attitude",
    "clarity",
    "accuracy",
    "rings",
    "first_response_seconds",
    "inspection_score",
    "key_point_coverage",
)
#: Pairs whose Pearson correlation is reported (answered tests; booleans as 0/1).
PAIRS = (
    ("rating", "resolved_on_spot"),
    ("key_point_coverage", "rating"),
    ("key_point_coverage", "resolved_on_spot"),
    ("inspection_score", "rating"),
    ("first_response_seconds", "rating"),
)


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def stdev(values: Sequence[float]) -> float | None:
    """Sample standard deviation (n − 1)."""
    if len(values) < 2:
        return None
    m = sum(values) / len(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None with fewer than 3 pairs or no variation."""
    if len(xs) != len(ys) or len(xs) < 3:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def slope(ys: Sequence[float]) -> float | None:
    """Least-squares slope of ``ys`` against 0, 1, 2 … (change per month); None below 2 points."""
    if len(ys) < 2:
        return None
    xs = list(range(len(ys)))
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def measure(row: Row, name: str) -> float | None:
    """A per-test measure as a float (None when missing or not applicable)."""
    if name == "rating":
        return rating_mean(row) if row.get("answered") else None
    if name == "key_point_coverage":
        total = int(row.get("key_points_total") or 0)
        if not total or not row.get("answered"):
            return None
        covered = len([k for k in str(row.get("key_points_covered") or "").split(",") if k])
        return 100.0 * covered / total
    if name == "resolved_on_spot":
        return float(bool(row.get("resolved_on_spot"))) if row.get("answered") else None
    value = row.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


@dataclass
class GroupStats:
    """One group (or the whole set) of tests."""

    group: str
    tests: int
    answered_pct: float | None
    passed_pct: float | None
    aggregates: dict[str, float | None]
    failed_standards: list[str]
    stats: dict[str, dict[str, float | int | None]]

    def flat(self, dimension: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            dimension: self.group,
            "tests": self.tests,
            "answered_pct": self.answered_pct,
            "passed_pct": self.passed_pct,
        }
        out.update({f"{k}_pct": v for k, v in self.aggregates.items()})
        for m, s in self.stats.items():
            out[f"{m}_mean"], out[f"{m}_std"], out[f"{m}_n"] = s["mean"], s["std"], s["n"]
        out["failed_standards"] = ",".join(self.failed_standards)
        return out


@dataclass
class Report:
    dimension: str | None
    as_of: datetime
    standards: dict[str, float]
    overall: GroupStats
    groups: list[GroupStats] = field(default_factory=list)
    trend: list[dict[str, Any]] = field(default_factory=list)
    trend_slope: dict[str, float | None] = field(default_factory=dict)
    correlations: list[dict[str, Any]] = field(default_factory=list)
    weak_links: list[dict[str, Any]] = field(default_factory=list)
    common_problems: list[dict[str, Any]] = field(default_factory=list)
    missed_key_points: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        return data

    def groups_frame(self) -> pd.DataFrame:
        name = self.dimension or "all"
        return pd.DataFrame([g.flat(name) for g in (self.groups or [self.overall])])


def _pct(num: int, den: int) -> float | None:
    return 100.0 * num / den if den else None


def group_stats(
    name: str, rows: Sequence[Row], std: Standards, as_of: datetime, verdicts: Mapping[int, Verdict] | None = None
) -> GroupStats:
    """Statistics of one group; ``verdicts`` (by ``id(row)``) saves judging each row again."""
    aggs = aggregates(rows, std, as_of=as_of)
    judged = verdicts if verdicts is not None else {id(r): evaluate(r, std, as_of=as_of) for r in rows}
    passed = sum(1 for r in rows if judged[id(r)].passed)
    stats: dict[str, dict[str, float | int | None]] = {}
    for m in MEASURES:
        values = [v for v in (measure(r, m) for r in rows) if v is not None]
        stats[m] = {"mean": mean(values), "std": stdev(values), "n": len(values)}
    return GroupStats(
        group=name,
        tests=len(rows),
        answered_pct=_pct(sum(1 for r in rows if r.get("answered")), len(rows)),
        passed_pct=_pct(passed, len(rows)),
        aggregates={a.code: a.value for a in aggs},
        failed_standards=[a.code for a in aggs if a.passed is False],
        stats=stats,
    )


def build_report(
    rows: Iterable[Row], std: Standards, *, by: str | None = None, as_of: datetime, min_tests: int = 1
) -> Report:
    """The report over ``rows`` (``testcall_results`` rows), grouped by ``by`` (a :data:`DIMENSIONS` key)."""
    rows = list(rows)
    if by is not None and by not in DIMENSIONS:
        raise TestcallError(f"Cannot group a report by {by!r}; use one of {', '.join(DIMENSIONS)}.")
    verdicts = {id(r): evaluate(r, std, as_of=as_of) for r in rows}
    report = Report(by, as_of, std.model_dump(), group_stats("all", rows, std, as_of, verdicts))
    if by is not None:
        col = DIMENSIONS[by]
        buckets: dict[str, list[Row]] = {}
        for r in rows:
            buckets.setdefault(str(r.get(col) or "(unknown)"), []).append(r)
        report.groups = [group_stats(k, v, std, as_of, verdicts) for k, v in sorted(buckets.items())]
    months: dict[str, list[Row]] = {}
    for r in rows:
        months.setdefault(str(r.get("month")), []).append(r)
    for month, mrows in sorted(months.items()):
        g = group_stats(month, mrows, std, as_of, verdicts)
        report.trend.append(
            {
                "month": month,
                "tests": g.tests,
                "passed_pct": g.passed_pct,
                "on_spot_resolution_pct": g.aggregates["on_spot_resolution"],
                "rating_mean": g.stats["rating"]["mean"],
            }
        )
    for key in ("passed_pct", "on_spot_resolution_pct", "rating_mean"):
        series = [float(t[key]) for t in report.trend if t[key] is not None]
        report.trend_slope[key] = slope(series)
    for x, y in PAIRS:
        pairs = [(measure(r, x), measure(r, y)) for r in rows]
        xs = [float(a) for a, b in pairs if a is not None and b is not None]
        ys = [float(b) for a, b in pairs if a is not None and b is not None]
        report.correlations.append({"x": x, "y": y, "n": len(xs), "r": pearson(xs, ys)})
    for dim in ("team", "agent", "scenario", "channel"):
        col = DIMENSIONS[dim]
        buckets = {}
        for r in rows:
            if r.get(col):
                buckets.setdefault(str(r[col]), []).append(r)
        for key, brows in buckets.items():
            if len(brows) < min_tests:
                continue
            aggs = [a for a in aggregates(brows, std, as_of=as_of) if a.passed is False]
            if aggs:
                report.weak_links.append(
                    {
                        "dimension": dim,
                        "group": key,
                        "tests": len(brows),
                        "failed": [a.code for a in aggs],
                        "reasons": [a.reason() for a in aggs],
                    }
                )
    report.weak_links.sort(key=lambda w: (-len(w["failed"]), w["dimension"], w["group"]))
    codes: Counter[str] = Counter()
    missed: Counter[tuple[str, str]] = Counter()
    for r in rows:
        codes.update(verdicts[id(r)].codes)
        missed.update(
            (str(r.get("scenario_id")), k)
            for k in str(r.get("key_points_missed") or "").split(",")
            if k and r.get("answered")
        )
    report.common_problems = [{"code": c, "tests": n, "share_pct": _pct(n, len(rows))} for c, n in codes.most_common()]
    report.missed_key_points = [{"scenario_id": s, "key_point": k, "tests": n} for (s, k), n in missed.most_common(20)]
    return report


def export(report: Report, path: Path | str, *, fmt: str | None = None) -> Path:
    """Write ``report`` as CSV (the group table), XLSX (one sheet per part) or JSON (everything)."""
    target = Path(path)
    kind = (fmt or target.suffix.lstrip(".")).lower()
    if kind == "json":
        target.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    elif kind == "csv":
        report.groups_frame().to_csv(target, index=False, encoding="utf-8-sig")
    elif kind == "xlsx":
        with pd.ExcelWriter(target, engine="xlsxwriter") as xl:
            report.groups_frame().to_excel(xl, sheet_name="groups", index=False)
            pd.DataFrame(report.trend).to_excel(xl, sheet_name="trend", index=False)
            pd.DataFrame(report.correlations).to_excel(xl, sheet_name="correlations", index=False)
            pd.DataFrame(
                [{**w, "failed": ",".join(w["failed"]), "reasons": " ".join(w["reasons"])} for w in report.weak_links]
                or [{"dimension": None}]
            ).to_excel(xl, sheet_name="weak_links", index=False)
            pd.DataFrame(report.common_problems or [{"code": None}]).to_excel(
                xl, sheet_name="common_problems", index=False
            )
    else:
        raise TestcallError(f"Cannot export a report as {kind!r}; use csv, xlsx or json.")
    return target
