"""Targets and status: which target applies to a result row, and is the value good, warning or bad.

A scenario target applies when every dimension it names is known for the row — because the row is
broken down by that dimension, or because a filter pins it to one value — and equals the scenario's
value. The most specific matching scenario wins (most dimensions; first declared on a tie); otherwise
the metric's default target applies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from csqm.metrics.model import Metric, Scenario

GOOD, WARNING, BAD = "good", "warning", "bad"


def scenario_for(metric: Metric, known: Mapping[str, object]) -> Scenario | None:
    """The most specific scenario of ``metric`` matching the known dimension values."""
    best: Scenario | None = None
    for scenario in metric.scenarios:
        matches = all(known.get(dim) == value for dim, value in scenario.when.items())
        if matches and (best is None or len(scenario.when) > len(best.when)):
            best = scenario
    return best


def target_for(metric: Metric, known: Mapping[str, object]) -> tuple[float | None, float | None]:
    """(target, warning) for a row whose dimensions are ``known``."""
    scenario = scenario_for(metric, known)
    if scenario is not None:
        return scenario.target, scenario.warning
    return metric.target, metric.warning


def status(value: float | None, target: float | None, warning: float | None, direction: str) -> str | None:
    """good / warning / bad honouring the direction; None without a value or a target."""
    if value is None or target is None or warning is None or math.isnan(value):
        return None
    if direction == "higher":
        return GOOD if value >= target else WARNING if value >= warning else BAD
    return GOOD if value <= target else WARNING if value <= warning else BAD
