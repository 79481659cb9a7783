"""Metrics (M1–M7): a KPI catalogue declared as data, compiled to SQL per engine.

    >>> from csqm.metrics import compute_metrics
    >>> compute_metrics(store, ["service_level", "fcr"], by=["team"], grain="week",
    ...                 start=date(2026, 1, 1), end=date(2026, 3, 31), where="channel=phone")

Every consumer — CLI, API, dashboard, reports, alerts — calls :func:`compute_metrics`; nothing else
computes a KPI. Definitions live in ``csqm/metrics/catalogue/*.yaml`` (and a user directory that adds
or overrides, ``$CSQM_METRICS_DIR`` or ``<data dir>/metrics``); see ``docs/metrics.md``.
"""

from __future__ import annotations

from csqm.metrics.catalogue import (
    Catalogue,
    CatalogueError,
    Problem,
    default_catalogue,
    load_catalogue,
    user_dir_from_env,
)
from csqm.metrics.compiler import Compiled, compile_metrics
from csqm.metrics.engines import ENGINES, Engine, engine_for
from csqm.metrics.filters import Filter, FilterError, parse_where
from csqm.metrics.model import Measure, Metric, Param, Scenario
from csqm.metrics.query import compute_metrics
from csqm.metrics.request import MetricQueryError, Request
from csqm.metrics.results import RESULT_COLUMNS
from csqm.metrics.sources import DIMENSIONS, SOURCES
from csqm.metrics.summary import kpi_summary
from csqm.metrics.timegrid import Window

__all__ = [
    "DIMENSIONS",
    "ENGINES",
    "RESULT_COLUMNS",
    "SOURCES",
    "Catalogue",
    "CatalogueError",
    "Compiled",
    "Engine",
    "Filter",
    "FilterError",
    "Measure",
    "Metric",
    "MetricQueryError",
    "Param",
    "Problem",
    "Request",
    "Scenario",
    "Window",
    "compile_metrics",
    "compute_metrics",
    "default_catalogue",
    "engine_for",
    "kpi_summary",
    "load_catalogue",
    "parse_where",
    "user_dir_from_env",
]
