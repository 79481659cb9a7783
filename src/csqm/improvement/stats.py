"""The statistics of verification: before/after tests, effect sizes, difference-in-differences, verdicts.

Pure functions on numbers (no store), so each can be checked by hand:

- :func:`welch` — Welch's t-test of per-period values after vs before, with Cohen's d
  (difference of means over the pooled standard deviation, ``n - 1`` weights);
- :func:`two_proportions` — the pooled two-proportion z-test on counts, with Cohen's h
  (``2·asin√p_after − 2·asin√p_before``);
- :func:`did_means` — difference-in-differences on per-period values: the per-period gap
  ``scope − comparison`` before vs after, tested with Welch's t;
- :func:`did_proportions` — difference-in-differences on pooled proportions,
  ``(p₁ − p₀) − (q₁ − q₀)`` with the unpooled standard error ``√Σ p(1−p)/n`` and a z-test;
- :func:`verdict` — improved / no change / worse from a change, its p-value, the level α and the
  metric's direction.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats as sps

Verdict = Literal["improved", "no_change", "worse"]


@dataclass(frozen=True)
class TestResult:
    """One before/after comparison: test, statistic, two-sided p-value and effect size (after − before)."""

    test: Literal["welch_t", "two_proportion_z"]
    before: float
    after: float
    statistic: float
    p_value: float
    effect_size: float
    effect_kind: Literal["cohens_d", "cohens_h"]
    n_before: int
    n_after: int

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class DidResult:
    """Difference-in-differences: the scope's change minus the comparison group's change (its trend)."""

    estimate: float
    statistic: float
    p_value: float
    scope_change: float
    comparison_change: float
    comparison_before: float
    comparison_after: float


def _clean(values: Sequence[float]) -> np.ndarray:
    arr = np.asarray(values, dtype="float64")
    kept: np.ndarray = arr[~np.isnan(arr)]
    return kept


def welch(before: Sequence[float], after: Sequence[float]) -> TestResult:
    """Welch's t-test (unequal variances) of ``after`` vs ``before``; needs ≥ 2 values on each side."""
    b, a = _clean(before), _clean(after)
    if len(b) < 2 or len(a) < 2:
        raise ValueError(f"Welch's t-test needs at least 2 values on each side (got {len(b)} before, {len(a)} after).")
    mb, ma = float(b.mean()), float(a.mean())
    vb, va = float(b.var(ddof=1)), float(a.var(ddof=1))
    if vb == 0 and va == 0:
        t, p = (0.0, 1.0) if ma == mb else (math.copysign(math.inf, ma - mb), 0.0)
    else:
        with warnings.catch_warnings():  # nearly equal values: scipy warns, the result is still right
            warnings.simplefilter("ignore", RuntimeWarning)
            res = sps.ttest_ind(a, b, equal_var=False)
        t, p = float(res.statistic), float(res.pvalue)
    pooled = math.sqrt(((len(b) - 1) * vb + (len(a) - 1) * va) / (len(b) + len(a) - 2))
    d = (ma - mb) / pooled if pooled > 0 else (0.0 if ma == mb else math.copysign(math.inf, ma - mb))
    return TestResult("welch_t", mb, ma, t, p, d, "cohens_d", len(b), len(a))


def two_proportions(x_before: float, n_before: float, x_after: float, n_after: float) -> TestResult:
    """Pooled two-proportion z-test of ``x_after/n_after`` vs ``x_before/n_before`` (proportions 0–1)."""
    if n_before <= 0 or n_after <= 0:
        raise ValueError(f"The two-proportion test needs cases on each side (got {n_before:g} and {n_after:g}).")
    if not (0 <= x_before <= n_before and 0 <= x_after <= n_after):
        raise ValueError("A numerator exceeds its denominator; the metric is not a proportion.")
    p0, p1 = x_before / n_before, x_after / n_after
    pooled = (x_before + x_after) / (n_before + n_after)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_before + 1 / n_after))
    if se == 0:
        z, p = (0.0, 1.0) if p0 == p1 else (math.copysign(math.inf, p1 - p0), 0.0)
    else:
        z = (p1 - p0) / se
        p = float(2 * sps.norm.sf(abs(z)))
    h = 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p0))
    return TestResult("two_proportion_z", p0, p1, z, p, h, "cohens_h", int(n_before), int(n_after))


def did_means(
    scope_before: Sequence[float],
    scope_after: Sequence[float],
    comparison_before: Sequence[float],
    comparison_after: Sequence[float],
) -> DidResult:
    """DiD on per-period values, paired by period: Welch's t on the gaps ``scope − comparison``.

    The four sequences hold one value per period; ``scope_before[i]`` and ``comparison_before[i]``
    are the same period (pairs with a missing side are dropped).
    """
    gaps = []
    for s, c in ((scope_before, comparison_before), (scope_after, comparison_after)):
        sa, ca = np.asarray(s, dtype="float64"), np.asarray(c, dtype="float64")
        if len(sa) != len(ca):
            raise ValueError("Scope and comparison need one value per period each.")
        keep = ~(np.isnan(sa) | np.isnan(ca))
        gaps.append(sa[keep] - ca[keep])
    test = welch(gaps[0], gaps[1])
    cb, ca_ = _clean(comparison_before), _clean(comparison_after)
    sb, sa_ = _clean(scope_before), _clean(scope_after)
    return DidResult(
        estimate=test.change,
        statistic=test.statistic,
        p_value=test.p_value,
        scope_change=float(sa_.mean() - sb.mean()),
        comparison_change=float(ca_.mean() - cb.mean()),
        comparison_before=float(cb.mean()),
        comparison_after=float(ca_.mean()),
    )


def did_proportions(
    scope_before: tuple[float, float],
    scope_after: tuple[float, float],
    comparison_before: tuple[float, float],
    comparison_after: tuple[float, float],
) -> DidResult:
    """DiD on pooled proportions; each argument is ``(numerator, denominator)``."""
    cells = (scope_before, scope_after, comparison_before, comparison_after)
    if any(n <= 0 for _, n in cells):
        raise ValueError("Difference-in-differences needs cases in the scope and the comparison, before and after.")
    p = [x / n for x, n in cells]
    estimate = (p[1] - p[0]) - (p[3] - p[2])
    se = math.sqrt(sum(q * (1 - q) / n for q, (_, n) in zip(p, cells, strict=True)))
    if se == 0:
        z, pv = (0.0, 1.0) if estimate == 0 else (math.copysign(math.inf, estimate), 0.0)
    else:
        z = estimate / se
        pv = float(2 * sps.norm.sf(abs(z)))
    return DidResult(estimate, z, pv, p[1] - p[0], p[3] - p[2], p[2], p[3])


@dataclass(frozen=True)
class Trend:
    """Least-squares slope of values over period numbers 0, 1, 2 …, with the p-value of slope ≠ 0."""

    slope: float
    p_value: float
    start: float
    end: float
    n: int


def trend(values: Sequence[float]) -> Trend:
    """Linear trend of consecutive per-period values (missing periods keep their position)."""
    arr = np.asarray(values, dtype="float64")
    x = np.arange(len(arr), dtype="float64")
    keep = ~np.isnan(arr)
    x, y = x[keep], arr[keep]
    if len(y) < 3:
        raise ValueError(f"A trend needs at least 3 values (got {len(y)}).")
    if float(np.ptp(y)) == 0:
        return Trend(0.0, 1.0, float(y[0]), float(y[0]), len(y))
    res = sps.linregress(x, y)
    slope, intercept = float(res.slope), float(res.intercept)
    first, last = float(x[0]), float(x[-1])
    return Trend(slope, float(res.pvalue), intercept + slope * first, intercept + slope * last, len(y))


def verdict(change: float, p_value: float, alpha: float, direction: str) -> Verdict:
    """``improved`` / ``worse`` when ``p_value < alpha`` and the change goes the metric's good / bad way."""
    if not 0 < alpha < 1:
        raise ValueError(f"The significance level must be between 0 and 1 (got {alpha}).")
    if direction not in ("higher", "lower"):
        raise ValueError(f"A metric's direction is 'higher' or 'lower' (got {direction!r}).")
    if math.isnan(p_value) or p_value >= alpha or change == 0:
        return "no_change"
    good = change > 0 if direction == "higher" else change < 0
    return "improved" if good else "worse"
