"""The shape of a metric declaration: what a quality manager writes in the catalogue YAML.

Kinds live in code, instances live in data: these pydantic models say what a metric *may* contain;
``csqm/metrics/catalogue/*.yaml`` holds the metrics themselves. Structural checks happen here (one
metric at a time); checks that need the data model or other metrics live in ``validate``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Kind = Literal["simple", "ratio", "derived", "percentile"]
Aggregation = Literal["count", "count_distinct", "sum", "avg", "min", "max"]
Direction = Literal["higher", "lower"]
Cadence = Literal["real-time", "daily", "weekly", "monthly", "quarterly"]
MetricDimension = Literal["efficiency", "quality", "compliance", "workforce", "customer", "test-call"]
ParamValue = int | float | str | list[str] | list[int] | list[float]

ID_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Names(_Strict):
    """Display names: Chinese first, English second."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Param(_Strict):
    """A setting of the definition (a threshold, a window, a channel list) with its documented default."""

    value: ParamValue
    doc: str = Field(min_length=1)


class Measure(_Strict):
    """An aggregation of a SQL expression over the rows of a source that pass a filter."""

    agg: Aggregation = "count"
    expr: str | None = None
    filter: str | None = None
    source: str | None = Field(None, description="Source table; default: the metric's source.")

    @model_validator(mode="after")
    def _expr_needed(self) -> Measure:
        if self.agg != "count" and not self.expr:
            raise ValueError(f"aggregation {self.agg!r} needs an expr")
        return self


class Scenario(_Strict):
    """A target for one scenario: rows whose dimensions match every ``when`` entry use it."""

    when: dict[str, str] = Field(min_length=1)
    target: float
    warning: float


class Metric(_Strict):
    """One KPI: identity, meaning, definition, target and ownership."""

    id: str = Field(pattern=ID_PATTERN)
    name: Names
    dimension: MetricDimension
    description: str = Field(min_length=20)
    kind: Kind
    source: str | None = Field(None, description="Table the measures aggregate over (not for derived).")
    filter: str | None = Field(None, description="Population: applied to every measure on `source`.")
    measure: Measure | None = None
    numerator: Measure | None = None
    denominator: Measure | None = None
    quantile: float | None = Field(None, gt=0, lt=1)
    expr: str | None = Field(None, description="Derived metrics: arithmetic over other metric ids.")
    scale: float = 1.0
    params: dict[str, Param] = Field(default_factory=dict)
    unit: str = Field(min_length=1)
    direction: Direction
    target: float | None = None
    warning: float | None = None
    scenarios: tuple[Scenario, ...] = ()
    cadence: Cadence
    owner: str = Field(min_length=1)
    effective_from: date | None = None
    retired: bool = False

    @model_validator(mode="after")
    def _parts_match_kind(self) -> Metric:
        needed = {
            "simple": {"measure"},
            "percentile": {"measure", "quantile"},
            "ratio": {"numerator", "denominator"},
            "derived": {"expr"},
        }[self.kind]
        parts = {"measure", "numerator", "denominator", "quantile", "expr"}
        present = {p for p in parts if getattr(self, p) is not None}
        if missing := sorted(needed - present):
            raise ValueError(f"a {self.kind} metric needs {', '.join(missing)}")
        if extra := sorted(present - needed):
            raise ValueError(f"a {self.kind} metric does not take {', '.join(extra)}")
        if (self.source is None) != (self.kind == "derived"):
            raise ValueError("derived metrics take no source; every other kind needs one")
        if (self.target is None) != (self.warning is None):
            raise ValueError("give both target and warning, or neither")
        return self

    def measures(self) -> dict[str, Measure]:
        """The measures by role (``measure`` or ``numerator`` / ``denominator``)."""
        roles = ("measure", "numerator", "denominator")
        return {r: m for r in roles if (m := getattr(self, r)) is not None}

    def source_of(self, measure: Measure) -> str:
        """The source a measure of this metric aggregates over."""
        source = measure.source or self.source
        if source is None:  # only derived metrics have no source, and they have no measures
            raise ValueError(f"metric {self.id} has no source")
        return source

    def param_values(self) -> dict[str, ParamValue]:
        return {name: p.value for name, p in self.params.items()}

    def definition(self) -> dict[str, Any]:
        """What versioning compares: the computation and the targets, not names or prose."""
        prose = {"name", "description", "owner", "cadence", "dimension", "effective_from", "retired"}
        data = self.model_dump(mode="json", exclude=prose)
        for param in data.get("params", {}).values():
            param.pop("doc", None)
        return data

    def definition_hash(self) -> str:
        """A short, stable fingerprint of :meth:`definition` (computation and targets)."""
        return _digest(self.definition())

    def computation_hash(self) -> str:
        """Fingerprint of the computation alone: equal hashes give equal numbers."""
        data = self.definition()
        for key in ("target", "warning", "scenarios", "direction", "unit"):
            data.pop(key, None)
        return _digest(data)


def _digest(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
