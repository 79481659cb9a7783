"""Verification statistics: hand-computed tests, and planted effects found while null effects are not."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from csqm.improvement import stats
from csqm.improvement.verify import VerificationError, Windows, evaluate, is_proportion
from csqm.metrics import default_catalogue

CAT = default_catalogue()
FORBIDDEN = CAT["forbidden_phrase_rate"]  # ratio of counts, lower is better → two-proportion z
AHT = CAT["aht"]  # ratio of a sum to a count, lower is better → Welch on daily values
ANSWER = CAT["answer_rate"]  # ratio of counts, higher is better
WINDOWS = Windows.around(date(2026, 2, 2), 28)


# --- hand-computed statistics --------------------------------------------------------------------


def test_welch_by_hand() -> None:
    # before 1,2,3 (mean 2, var 1), after 4,5,6 (mean 5, var 1): se = √(1/3 + 1/3) = 0.81650,
    # t = 3 / 0.81650 = 3.67423, Welch df = (2/3)² / (2 · (1/3)² / 2) = 4; for 4 df the two-sided
    # p-value is 1 − t(6 + t²)/(4 + t²)^1.5 = 0.021312; pooled sd 1 → d = 3.
    res = stats.welch([1, 2, 3], [4, 5, 6])
    t = 3 / math.sqrt(2 / 3)
    assert res.statistic == pytest.approx(t, rel=1e-12)
    assert res.p_value == pytest.approx(1 - t * (6 + t * t) / (4 + t * t) ** 1.5, rel=1e-9)
    assert res.p_value == pytest.approx(0.021312, abs=1e-6)
    assert res.effect_size == pytest.approx(3.0)
    assert (res.before, res.after, res.n_before, res.n_after) == (2.0, 5.0, 3, 3)


def test_welch_unequal_variances_by_hand() -> None:
    # before 10,12 (mean 11, var 2), after 20,30,40 (mean 30, var 100): se = √(2/2 + 100/3) = 5.85947,
    # t = 19 / 5.85947 = 3.24262; pooled sd = √((1·2 + 2·100)/3) = 8.20569 → d = 2.31549.
    res = stats.welch([10, 12], [20, 30, 40])
    assert res.statistic == pytest.approx(19 / math.sqrt(1 + 100 / 3), rel=1e-12)
    assert res.effect_size == pytest.approx(19 / math.sqrt(202 / 3), rel=1e-12)


def test_two_proportions_by_hand() -> None:
    # 30/100 → 45/100: pooled p = 0.375, se = √(0.375 · 0.625 · 0.02) = 0.0684653, z = 0.15 / se = 2.19089,
    # p = erfc(z/√2) = 0.028460; h = 2·asin√0.45 − 2·asin√0.30 = 0.311349.
    res = stats.two_proportions(30, 100, 45, 100)
    z = 0.15 / math.sqrt(0.375 * 0.625 * 0.02)
    assert res.statistic == pytest.approx(z, rel=1e-12)
    assert res.statistic == pytest.approx(2.19089, abs=1e-5)
    assert res.p_value == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)
    assert res.p_value == pytest.approx(0.028460, abs=1e-6)
    assert res.effect_size == pytest.approx(2 * math.asin(math.sqrt(0.45)) - 2 * math.asin(math.sqrt(0.3)))
    assert res.effect_size == pytest.approx(0.311349, abs=1e-6)


def test_did_proportions_by_hand() -> None:
    # scope 30/100 → 45/100, comparison 30/100 → 30/100: DiD = 0.15 − 0 = 0.15,
    # se = √(0.3·0.7/100 · 3 + 0.45·0.55/100) = √(0.008775) = 0.0936750, z = 1.60128.
    res = stats.did_proportions((30, 100), (45, 100), (30, 100), (30, 100))
    se = math.sqrt(3 * 0.21 / 100 + 0.2475 / 100)
    assert res.estimate == pytest.approx(0.15)
    assert res.statistic == pytest.approx(0.15 / se, rel=1e-12)
    assert res.p_value == pytest.approx(math.erfc(0.15 / se / math.sqrt(2)), rel=1e-9)
    assert (res.scope_change, res.comparison_change) == (pytest.approx(0.15), 0.0)


def test_did_means_by_hand() -> None:
    # gaps before: 10−9, 11−9, 12−9 = 1,2,3; after: 20−10, 21−10, 22−10 = 10,11,12 → DiD 9,
    # Welch on gaps: se = √(1/3 + 1/3), t = 9/0.81650 = 11.0227.
    res = stats.did_means([10, 11, 12], [20, 21, 22], [9, 9, 9], [10, 10, 10])
    assert res.estimate == pytest.approx(9.0)
    assert res.statistic == pytest.approx(9 / math.sqrt(2 / 3))
    assert res.comparison_change == pytest.approx(1.0)
    assert res.scope_change == pytest.approx(10.0)


def test_trend_by_hand() -> None:
    # x = 0..3, y = 1, 3, 2, 4: Σ(x−x̄)(y−ȳ) = 4, Σ(x−x̄)² = 5 → slope 0.8, intercept 2.5 − 0.8·1.5 = 1.3
    res = stats.trend([1, 3, 2, 4])
    assert res.slope == pytest.approx(0.8) and res.start == pytest.approx(1.3) and res.end == pytest.approx(3.7)
    # a missing period keeps its place: 1, nan, 3, 4 is y = 1 + x at x = 0, 2, 3 (on 0..3 it would not be)
    gap = stats.trend([1, float("nan"), 3, 4])
    assert (
        gap.n == 3 and gap.slope == pytest.approx(1.0) and (gap.start, gap.end) == (pytest.approx(1), pytest.approx(4))
    )
    flat = stats.trend([2, 2, 2])
    assert (flat.slope, flat.p_value) == (0.0, 1.0)
    with pytest.raises(ValueError, match="at least 3 values"):
        stats.trend([1, float("nan"), 2])


def test_degenerate_and_bad_input() -> None:
    same = stats.welch([5, 5, 5], [5, 5, 5])
    assert (same.statistic, same.p_value, same.effect_size) == (0.0, 1.0, 0.0)
    moved = stats.welch([5, 5, 5], [7, 7, 7])
    assert moved.p_value == 0.0 and moved.statistic == math.inf
    with pytest.raises(ValueError, match="at least 2 values"):
        stats.welch([1], [2, 3])
    with pytest.raises(ValueError, match="needs cases"):
        stats.two_proportions(0, 0, 1, 10)
    with pytest.raises(ValueError, match="exceeds its denominator"):
        stats.two_proportions(11, 10, 1, 10)
    with pytest.raises(ValueError, match="between 0 and 1"):
        stats.verdict(1.0, 0.01, 1.5, "higher")
    with pytest.raises(ValueError, match="direction"):
        stats.verdict(1.0, 0.01, 0.05, "up")


@pytest.mark.parametrize(
    ("change", "p", "direction", "expected"),
    [
        (1.0, 0.01, "higher", "improved"),
        (-1.0, 0.01, "higher", "worse"),
        (-1.0, 0.01, "lower", "improved"),
        (1.0, 0.01, "lower", "worse"),
        (1.0, 0.05, "higher", "no_change"),  # p must be strictly below α
        (1.0, 0.20, "lower", "no_change"),
        (0.0, 0.00, "lower", "no_change"),
        (1.0, float("nan"), "higher", "no_change"),
    ],
)
def test_verdict_takes_direction(change: float, p: float, direction: str, expected: str) -> None:
    assert stats.verdict(change, p, 0.05, direction) == expected


def test_metric_kinds() -> None:
    assert is_proportion(FORBIDDEN) and is_proportion(ANSWER)
    assert not is_proportion(AHT)


# --- planted effects on generated daily data -----------------------------------------------------


def _days() -> list[date]:
    return [WINDOWS.before_start + timedelta(days=i) for i in range(56)]


def proportion_days(seed: int, *, base: float, scope_after: float, shared_shift: float = 0.0) -> pd.DataFrame:
    """Daily counts for teams T1 (the scope), T2, T3; T1's rate changes to ``scope_after`` on the
    effective day; every team also moves by ``shared_shift`` (a common shock)."""
    rng = np.random.default_rng(seed)
    rows = []
    for day in _days():
        after = day >= WINDOWS.after_start
        for team in ("T1", "T2", "T3"):
            rate = (scope_after if team == "T1" and after else base) + (shared_shift if after else 0.0)
            n = int(rng.poisson(80))
            x = int(rng.binomial(n, rate))
            rows.append((day, team, 100.0 * x / n if n else np.nan, float(x), float(n), n))
    return pd.DataFrame(rows, columns=["period", "group", "value", "numerator", "denominator", "sample_size"])


def mean_days(seed: int, *, effect: float, shared_shift: float = 0.0, sd: float = 30.0) -> pd.DataFrame:
    """Daily mean handle time around 360 s for T1, T2, T3; T1 moves by ``effect`` after the effective day."""
    rng = np.random.default_rng(seed)
    rows = []
    for day in _days():
        after = day >= WINDOWS.after_start
        for team in ("T1", "T2", "T3"):
            mean = 360.0 + (effect if team == "T1" and after else 0.0) + (shared_shift if after else 0.0)
            value = float(rng.normal(mean, sd))
            rows.append((day, team, value, value * 50, 50.0, 50))
    return pd.DataFrame(rows, columns=["period", "group", "value", "numerator", "denominator", "sample_size"])


def _verdict(daily: pd.DataFrame, metric: object, **kw: object) -> str:
    return evaluate(daily, metric=metric, scope_kind="team", scope_value="T1", windows=WINDOWS, **kw).verdict  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(10))
def test_planted_proportion_effect_is_detected(seed: int) -> None:
    # forbidden-phrase rate 10 % → 5 % in T1 only: lower is better → improved
    assert _verdict(proportion_days(seed, base=0.10, scope_after=0.05), FORBIDDEN) == "improved"
    # the same drop on a higher-is-better metric is worse
    assert _verdict(proportion_days(seed, base=0.90, scope_after=0.85), ANSWER) == "worse"


@pytest.mark.parametrize("seed", range(10))
def test_planted_mean_effect_is_detected(seed: int) -> None:
    assert _verdict(mean_days(seed, effect=-50.0), AHT) == "improved"
    assert _verdict(mean_days(seed, effect=+50.0), AHT) == "worse"


def test_null_effect_false_positive_rate_is_near_alpha() -> None:
    """Over 50 null seeds per path, the share of verdicts other than no change stays ≤ 10 % at α = 0.05."""
    seeds = range(100, 150)
    prop = sum(_verdict(proportion_days(s, base=0.10, scope_after=0.10), FORBIDDEN) != "no_change" for s in seeds)
    mean = sum(_verdict(mean_days(s, effect=0.0), AHT) != "no_change" for s in seeds)
    no_comparison = sum(_verdict(mean_days(s, effect=0.0), AHT, comparison_values=[]) != "no_change" for s in seeds)
    assert prop <= 5, prop
    assert mean <= 5, mean
    assert no_comparison <= 5, no_comparison


def test_a_shared_shock_is_not_credited_to_the_action() -> None:
    """Every team's rate drops 10 % → 5 %: before/after alone is significant, the DiD is not."""
    found = []
    for seed in range(10):
        res = evaluate(
            proportion_days(seed, base=0.10, scope_after=0.10, shared_shift=-0.05),
            metric=FORBIDDEN,
            scope_kind="team",
            scope_value="T1",
            windows=WINDOWS,
        )
        assert res.test.p_value < 0.05 and res.test.change < 0  # the naive comparison would say improved
        assert res.did is not None and res.did.comparison_change == pytest.approx(-0.05, abs=0.02)
        found.append(res.verdict)
    assert found.count("no_change") >= 9
    # without a comparison group the same data reads as an improvement
    alone = evaluate(
        proportion_days(0, base=0.10, scope_after=0.10, shared_shift=-0.05),
        metric=FORBIDDEN,
        scope_kind="team",
        scope_value="T1",
        windows=WINDOWS,
        comparison_values=[],
    )
    assert alone.did is None and alone.verdict == "improved"


def test_evaluate_reports_values_in_metric_units() -> None:
    daily = pd.DataFrame(
        {
            "period": [WINDOWS.before_start, WINDOWS.after_start],
            "group": ["T1", "T1"],
            "value": [30.0, 45.0],
            "numerator": [30.0, 45.0],
            "denominator": [100.0, 100.0],
            "sample_size": [100, 100],
        }
    )
    res = evaluate(daily, metric=ANSWER, scope_kind="team", scope_value="T1", windows=WINDOWS)
    assert (res.before_value, res.after_value) == (pytest.approx(30.0), pytest.approx(45.0))
    assert res.test.statistic == pytest.approx(2.19089, abs=1e-5)
    assert res.did is None and res.verdict == "improved"
    assert "answer_rate for team=T1 went from 30 to 45 %" in res.reason


def test_evaluate_refuses_too_little_data() -> None:
    daily = mean_days(1, effect=0.0)
    daily = daily[daily["period"] < WINDOWS.before_start + timedelta(days=30)]  # only 2 days after
    with pytest.raises(VerificationError, match="at least 3 days"):
        evaluate(daily, metric=AHT, scope_kind="team", scope_value="T1", windows=WINDOWS)
    with pytest.raises(VerificationError, match="needs cases"):
        evaluate(daily.iloc[0:0], metric=FORBIDDEN, scope_kind="team", scope_value="T1", windows=WINDOWS)
    with pytest.raises(VerificationError, match="at least 3 days"):
        Windows.around(date(2026, 1, 1), 2)


def test_significance_level_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from csqm.errors import ConfigError
    from csqm.improvement.verify import significance_level

    monkeypatch.delenv("CSQM_SIGNIFICANCE_LEVEL", raising=False)
    assert significance_level() == 0.05
    monkeypatch.setenv("CSQM_SIGNIFICANCE_LEVEL", "0.01")
    assert significance_level() == 0.01
    for bad in ("1", "0", "five percent", "-0.1"):
        monkeypatch.setenv("CSQM_SIGNIFICANCE_LEVEL", bad)
        with pytest.raises(ConfigError, match="CSQM_SIGNIFICANCE_LEVEL"):
            significance_level()
