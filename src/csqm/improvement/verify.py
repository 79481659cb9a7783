"""Verification (L2): did the metric an action names move in its scope after the action took effect?

Windows: ``before`` = the ``window_days`` local days before ``effective_on``; ``after`` = ``effective_on``
and the ``window_days - 1`` days after it. Daily values come from :func:`csqm.metrics.compute_metrics`
(grain ``day``, reporting time zone), broken down by the scope dimension so the other values of that
dimension (other teams, other agents …) form the untouched comparison group.

Test: a proportion metric (a ratio of two counts, e.g. forbidden-phrase rate, answer rate) is compared
on pooled counts with the two-proportion z-test and Cohen's h; any other metric on its daily values with
Welch's t-test and Cohen's d. Where a comparison group has data on both sides, the verdict is decided by
the difference-in-differences (so a change every team shares — a seasonal dip, a product launch — is
not credited to the action); otherwise by the before/after test. See ``docs/improvement.md``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from csqm.errors import ConfigError, CsqmError
from csqm.improvement import stats
from csqm.metrics import Catalogue, Metric, compute_metrics, load_catalogue, user_dir_from_env
from csqm.metrics.sources import DIMENSIONS
from csqm.store import Store

DEFAULT_ALPHA = 0.05
ALPHA_ENV = "CSQM_SIGNIFICANCE_LEVEL"
MIN_PERIODS = 3


class VerificationError(CsqmError):
    """An action cannot be verified (yet): window not over, too little data, unknown metric or scope."""


@dataclass(frozen=True)
class Windows:
    before_start: date
    before_end: date
    after_start: date
    after_end: date

    @classmethod
    def around(cls, effective_on: date, days: int) -> Windows:
        if days < MIN_PERIODS:
            raise VerificationError(f"The window must be at least {MIN_PERIODS} days (got {days}).")
        return cls(
            effective_on - timedelta(days=days),
            effective_on - timedelta(days=1),
            effective_on,
            effective_on + timedelta(days=days - 1),
        )


@dataclass(frozen=True)
class Verification:
    """The result of verifying one metric in one scope."""

    metric: str
    direction: str
    unit: str
    scope_kind: str
    scope_value: str | None
    windows: Windows
    test: stats.TestResult
    before_value: float
    after_value: float
    comparison: str | None
    did: stats.DidResult | None
    did_scale: float
    alpha: float
    verdict: stats.Verdict
    reason: str


def is_proportion(metric: Metric) -> bool:
    """A ratio of two counts: tested on pooled counts rather than on daily values."""
    if metric.kind != "ratio" or metric.numerator is None or metric.denominator is None:
        return False
    counts = ("count", "count_distinct")
    return metric.numerator.agg in counts and metric.denominator.agg in counts


def _pooled_value(frame: pd.DataFrame, metric: Metric) -> pd.Series:
    """Per period: Σ numerator / Σ denominator × scale for ratios, else the sample-weighted mean value."""
    if metric.kind == "ratio":
        sums = frame.groupby("period")[["numerator", "denominator"]].sum(min_count=1)
        return (sums["numerator"] / sums["denominator"].where(sums["denominator"] > 0)) * metric.scale
    weights = frame["sample_size"].clip(lower=0).astype("float64")
    weighted = (frame["value"] * weights).groupby(frame["period"]).sum(min_count=1)
    return weighted / weights.groupby(frame["period"]).sum().where(lambda w: w > 0)


def evaluate(
    daily: pd.DataFrame,
    *,
    metric: Metric,
    scope_kind: str,
    scope_value: str | None,
    windows: Windows,
    alpha: float = DEFAULT_ALPHA,
    comparison_values: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
) -> Verification:
    """Verify from daily rows (``period`` date, ``group``, ``value``, ``numerator``, ``denominator``,
    ``sample_size``); ``group`` holds the scope dimension's value (ignored for scope ``all``).

    ``comparison_values``: the groups forming the comparison (default: every other group; ``[]`` for none);
    ``exclude``: groups left out of the comparison (they had their own action on the metric meanwhile).
    """
    if not 0 < alpha < 1:
        raise VerificationError(f"The significance level must be between 0 and 1 (got {alpha}).")
    frame = daily.copy()
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    frame = frame[(frame["period"] >= windows.before_start) & (frame["period"] <= windows.after_end)]
    if scope_value is not None:  # rows without a value of the dimension belong to no group
        frame = frame[frame["group"].notna()]
    frame["group"] = [str(g) for g in frame["group"]]
    in_scope = frame["group"] == str(scope_value) if scope_value is not None else frame.index == frame.index
    scope, rest = frame[in_scope], frame[~in_scope]
    if comparison_values is not None:
        rest = rest[rest["group"].isin([str(v) for v in comparison_values])]
    if exclude:
        rest = rest[~rest["group"].isin([str(v) for v in exclude])]
    after = scope["period"] >= windows.after_start
    label = "everything" if scope_value is None else f"{scope_kind}={scope_value}"
    proportion = is_proportion(metric)
    scale = metric.scale if proportion else 1.0
    if proportion:
        cells = [(float(s["numerator"].sum()), float(s["denominator"].sum())) for s in (scope[~after], scope[after])]
        try:
            test = stats.two_proportions(cells[0][0], cells[0][1], cells[1][0], cells[1][1])
        except ValueError as exc:
            raise VerificationError(f"Cannot verify {metric.id} for {label}: {exc}") from None
        before_value, after_value = test.before * scale, test.after * scale
    else:
        series = _pooled_value(scope, metric).dropna()
        is_after = [d >= windows.after_start for d in series.index]
        b = [float(v) for v, late in zip(series, is_after, strict=True) if not late]
        a = [float(v) for v, late in zip(series, is_after, strict=True) if late]
        if len(b) < MIN_PERIODS or len(a) < MIN_PERIODS:
            raise VerificationError(
                f"Cannot verify {metric.id} for {label}: it needs values on at least {MIN_PERIODS} days before and "
                f"after {windows.after_start} (has {len(b)} and {len(a)})."
            )
        test = stats.welch(b, a)
        before_value, after_value = test.before, test.after
    did, comparison = _did(scope, rest, metric, windows, proportion)
    if did is not None and comparison_values is None:
        comparison = f"{rest['group'].nunique()} other {scope_kind} values: {comparison}"
    decided_by = did.estimate if did is not None else test.change
    p_decisive = did.p_value if did is not None else test.p_value
    result = stats.verdict(decided_by, p_decisive, alpha, metric.direction)
    reason = _reason(metric, label, before_value, after_value, test, did, scale, alpha, result)
    return Verification(
        metric=metric.id,
        direction=metric.direction,
        unit=metric.unit,
        scope_kind=scope_kind,
        scope_value=scope_value,
        windows=windows,
        test=test,
        before_value=before_value,
        after_value=after_value,
        comparison=comparison,
        did=did,
        did_scale=scale,
        alpha=alpha,
        verdict=result,
        reason=reason,
    )


def _did(
    scope: pd.DataFrame, rest: pd.DataFrame, metric: Metric, windows: Windows, proportion: bool
) -> tuple[stats.DidResult | None, str | None]:
    if rest.empty:
        return None, None
    groups = ", ".join(sorted({str(g) for g in rest["group"]}))
    rest_after = rest["period"] >= windows.after_start
    scope_after = scope["period"] >= windows.after_start
    if proportion:
        cells = [
            (float(part["numerator"].sum()), float(part["denominator"].sum()))
            for part in (scope[~scope_after], scope[scope_after], rest[~rest_after], rest[rest_after])
        ]
        if any(n <= 0 for _, n in cells):
            return None, None
        return stats.did_proportions(*cells), groups
    mine, theirs = _pooled_value(scope, metric), _pooled_value(rest, metric)
    both = pd.concat({"s": mine, "c": theirs}, axis=1).dropna()
    before = both[[d < windows.after_start for d in both.index]]
    after = both[[d >= windows.after_start for d in both.index]]
    if len(before) < MIN_PERIODS or len(after) < MIN_PERIODS:
        return None, None
    return stats.did_means(before["s"].tolist(), after["s"].tolist(), before["c"].tolist(), after["c"].tolist()), groups


def _fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _reason(
    metric: Metric,
    label: str,
    before: float,
    after: float,
    test: stats.TestResult,
    did: stats.DidResult | None,
    scale: float,
    alpha: float,
    result: stats.Verdict,
) -> str:
    unit = "" if metric.unit in ("", "1") else f" {metric.unit}"
    sym = "z" if test.test == "two_proportion_z" else "t"
    eff = "h" if test.effect_kind == "cohens_h" else "d"
    text = (
        f"{metric.id} for {label} went from {before:.4g} to {after:.4g}{unit} "
        f"({sym} = {test.statistic:.2f}, {_fmt_p(test.p_value)}, {eff} = {test.effect_size:.2f})"
    )
    if did is not None:
        text += (
            f"; the comparison group moved {did.comparison_change * scale:+.4g}, so the difference-in-differences "
            f"is {did.estimate * scale:+.4g} ({_fmt_p(did.p_value)})"
        )
    else:
        text += "; no comparison group"
    words = {"improved": "improved", "no_change": "no significant change", "worse": "worse"}
    better = "higher" if metric.direction == "higher" else "lower"
    return f"{text}: {words[result]} at α = {alpha:g} ({better} is better)."


def significance_level() -> float:
    """The significance level α: ``$CSQM_SIGNIFICANCE_LEVEL`` if set, else 0.05."""
    text = os.environ.get(ALPHA_ENV, "").strip()
    if not text:
        return DEFAULT_ALPHA
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise ConfigError(f"{ALPHA_ENV}={text!r} is not a significance level; use a number between 0 and 1 like 0.05.")
    return value


def local_today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def verify_metric(
    store: Store,
    *,
    metric: str,
    scope_kind: str,
    scope_value: str | None,
    effective_on: date,
    window_days: int,
    alpha: float = DEFAULT_ALPHA,
    comparison: bool = True,
    exclude: Sequence[str] = (),
    catalogue: Catalogue | None = None,
    today: date | None = None,
) -> Verification:
    """Compute daily values from the store and :func:`evaluate` them; refuses a window not yet over.

    ``exclude``: values of the scope dimension kept out of the comparison group."""
    cat = catalogue or load_catalogue(user_dir_from_env())
    try:
        decl = cat[metric]
    except KeyError:
        raise VerificationError(f"There is no metric {metric!r} in the catalogue; see `csqm metrics --list`.") from None
    if scope_kind != "all" and scope_kind not in DIMENSIONS:
        raise VerificationError(f"Unknown scope {scope_kind!r}: use all or one of {', '.join(DIMENSIONS)}.")
    if scope_kind != "all" and not scope_value:
        raise VerificationError(f"A {scope_kind} scope needs a value (e.g. {scope_kind}=…).")
    windows = Windows.around(effective_on, window_days)
    now = today or local_today(cat.reporting_timezone)
    if windows.after_end >= now:
        raise VerificationError(
            f"The after window ends on {windows.after_end}; "
            f"verify {metric} from {windows.after_end + timedelta(days=1)}."
        )
    by: tuple[str, ...] = () if scope_kind == "all" else (scope_kind,)
    where = None if comparison or scope_kind == "all" else f"{scope_kind}={scope_value}"
    frame = compute_metrics(
        store,
        [metric],
        by=by,
        grain="day",
        start=windows.before_start,
        end=windows.after_end,
        where=where,
        catalogue=cat,
        record_history=False,
    )
    daily = pd.DataFrame(
        {
            "period": frame["period"] if "period" in frame else pd.Series(dtype="datetime64[ns]"),
            "group": frame[scope_kind] if by else "all",
            "value": frame["value"],
            "numerator": frame["numerator"],
            "denominator": frame["denominator"],
            "sample_size": frame["sample_size"],
        }
    )
    return evaluate(
        daily,
        metric=decl,
        scope_kind=scope_kind,
        scope_value=scope_value,
        windows=windows,
        alpha=alpha,
        comparison_values=None if comparison else [],
        exclude=exclude,
    )


def finite(value: float | None) -> float | None:
    """A number safe to store and serialise (inf/nan become None)."""
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return float(value)
