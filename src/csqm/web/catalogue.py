"""The catalogue pages' data: metrics with their exact definitions, rule packs and scorecards (no HTTP)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from csqm.inspection.loading import Packs, load_packs
from csqm.metrics import Catalogue, Metric
from csqm.metrics.describe import parts
from csqm.metrics.sources import DIMENSIONS
from csqm.metrics.validate import metric_dimensions
from csqm.web.errors import NotFoundError


@dataclass(frozen=True)
class MetricDefinition:
    """A metric and how it is computed, for the definition page."""

    metric: Metric
    parts: list[tuple[str, str]]
    breakdowns: list[str]


def metric_groups(catalogue: Catalogue) -> list[tuple[str, list[Metric]]]:
    """Active metrics by dimension, in catalogue order."""
    groups: dict[str, list[Metric]] = {}
    for m in catalogue.active():
        groups.setdefault(str(m.dimension), []).append(m)
    return list(groups.items())


def metric_definition(catalogue: Catalogue, metric_id: str) -> MetricDefinition:
    """One metric's definition (404 when the catalogue has no such metric)."""
    if metric_id not in catalogue:
        raise NotFoundError(f"There is no metric {metric_id!r}.")
    metric = catalogue[metric_id]
    dims = metric_dimensions(metric, catalogue)
    return MetricDefinition(metric, parts(metric), [d for d in DIMENSIONS if d in dims])


@cache
def packs() -> Packs:
    """The rule packs and scorecards (loaded once per process)."""
    return load_packs()
