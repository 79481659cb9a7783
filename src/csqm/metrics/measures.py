"""From metrics to measures (aggregates over one source) and back to metric values.

Every metric of a query is reduced to a few aggregate columns — ``COUNT(CASE WHEN filter THEN 1
END)``, ``SUM(CASE WHEN filter THEN expr END)``, a percentile … — deduplicated across metrics, so a
whole catalogue scans each source once. Metric values are then expressions over those columns:

- simple:      value = agg × scale; numerator = agg
- ratio:       value = numerator × scale ÷ denominator (null when the denominator is 0)
- percentile:  value = percentile_cont(q) × scale
- derived:     value = the expression over the other metrics' values

``sample_size`` is the number of rows in the population (for count-distinct denominators: the
distinct count). A slice with no rows has sample size 0 and a null value — never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from csqm.metrics import expressions as ex
from csqm.metrics.catalogue import Catalogue
from csqm.metrics.engines import Engine
from csqm.metrics.model import Measure, Metric
from csqm.metrics.sources import SOURCES
from csqm.metrics.validate import derived_inputs

_ADDITIVE = ("count", "count_distinct", "sum")


@dataclass(frozen=True)
class MeasureSpec:
    """One aggregate column over one source."""

    source: str
    agg: str
    value: exp.Expr | None
    condition: exp.Expr | None
    quantile: float | None = None
    inner: frozenset[str] = frozenset()

    def key(self) -> str:
        parts = [self.source, self.agg, str(self.quantile)]
        parts += [e.sql() if e is not None else "" for e in (self.value, self.condition)]
        return "|".join(parts)

    def aggregate(self, engine: Engine, value: exp.Expr | None, condition: exp.Expr | None) -> exp.Expr:
        """The aggregate over ``value`` where ``condition`` (columns standing for this spec's parts)."""
        if condition is not None and self.agg in ("count", "sum") and (value is None or self.agg == "sum"):
            # SUM(value × condition) is 2–3× faster than a CASE per row on DuckDB; it differs only in
            # giving NULL instead of 0 for a count over no matching row, and callers treat both as 0.
            flag = exp.cast(condition, "INT", copy=False)
            return exp.func("SUM", flag if value is None else exp.Mul(this=value, expression=flag))
        target: exp.Expr = value if value is not None else exp.Literal.number(1)
        if condition is not None:
            target = exp.Case(ifs=[exp.If(this=condition, true=target)])
        if self.agg == "percentile":
            assert self.quantile is not None
            return engine.percentile(self.quantile, target)
        if self.agg == "count_distinct":
            return exp.Count(this=exp.Distinct(expressions=[target]))
        if self.agg == "count":
            return exp.Count(this=target)
        return exp.func(self.agg.upper(), target)

    def population(self) -> MeasureSpec:
        """Count of the rows this measure aggregates (non-null values only)."""
        if self.agg in ("count", "count_distinct") and self.value is None:
            return self
        if self.agg == "count_distinct":
            return self
        cond = self.condition
        if self.value is not None:
            not_null = exp.Not(this=exp.Is(this=self.value.copy(), expression=exp.Null()))
            cond = exp.and_(cond, not_null, copy=False) if cond is not None else not_null
        return MeasureSpec(self.source, "count", None, cond, inner=self.inner)


@dataclass(frozen=True)
class Outputs:
    """A metric's result columns as expressions over the measure columns."""

    value: exp.Expr
    numerator: exp.Expr
    denominator: exp.Expr
    sample_size: exp.Expr


@dataclass
class MeasureSet:
    """Deduplicated measures of a query, with the computed inner columns each needs."""

    catalogue: Catalogue
    engine: Engine
    columns: dict[str, tuple[str, MeasureSpec]] = field(default_factory=dict)
    outputs: dict[str, Outputs] = field(default_factory=dict)

    def branches(self) -> dict[tuple[str, frozenset[str]], dict[str, MeasureSpec]]:
        """Measure columns by (source, inner computed columns).

        On the sources that ask for it (the large interactions table), measures needing a window get
        their own scan, so the window does not carry the columns of every other measure; on the
        others one scan serves all measures, windows included.
        """
        needed: dict[str, frozenset[str]] = {}
        for _, spec in self.columns.values():
            needed[spec.source] = needed.get(spec.source, frozenset()) | spec.inner
        out: dict[tuple[str, frozenset[str]], dict[str, MeasureSpec]] = {}
        for name, spec in self.columns.values():
            first = spec.inner if SOURCES[spec.source].split_windows else needed[spec.source]
            out.setdefault((spec.source, first), {})[name] = spec
        return out

    def column(self, spec: MeasureSpec) -> exp.Column:
        key = spec.key()
        if key not in self.columns:
            self.columns[key] = (f"m{len(self.columns)}", spec)
        return exp.column(self.columns[key][0])

    def spec(self, metric: Metric, measure: Measure, *, percentile: bool = False) -> MeasureSpec:
        src_name = metric.source_of(measure)
        src = SOURCES[src_name]
        params = metric.param_values()
        inner: set[str] = set()

        def prepare(text: str | None) -> exp.Expr | None:
            if text is None:
                return None
            return ex.resolve(ex.bind(ex.parse(text), params), src, self.engine, inner)

        texts = [measure.filter]
        if src_name == metric.source and metric.filter:
            texts.insert(0, metric.filter)
        conditions = [c for c in map(prepare, texts) if c is not None]
        condition = exp.and_(*conditions, copy=False) if conditions else None
        agg = "percentile" if percentile else measure.agg
        value = prepare(measure.expr)
        return MeasureSpec(src_name, agg, value, condition, metric.quantile, frozenset(inner))

    def metric(self, metric: Metric) -> Outputs:
        """Outputs of ``metric``, registering the measures it needs."""
        if metric.id not in self.outputs:
            builder = {"simple": self._simple, "percentile": self._simple, "ratio": self._ratio}
            build = builder.get(metric.kind, self._derived)
            self.outputs[metric.id] = build(metric)
        return self.outputs[metric.id]

    def _scaled(self, value: exp.Expr, scale: float) -> exp.Expr:
        value = self.engine.to_float(value)
        return value if scale == 1 else exp.Mul(this=value, expression=exp.Literal.number(scale))

    def _simple(self, metric: Metric) -> Outputs:
        assert metric.measure is not None
        spec = self.spec(metric, metric.measure, percentile=metric.kind == "percentile")
        raw, n = self.column(spec), _zero(self.column(spec.population()))
        value = _when(exp.GT(this=n, expression=exp.Literal.number(0)), self._scaled(raw, metric.scale))
        numerator = (_zero(raw) if spec.agg in _ADDITIVE else raw.copy()) if metric.kind == "simple" else exp.null()
        return Outputs(value, numerator, exp.null(), n.copy())

    def _ratio(self, metric: Metric) -> Outputs:
        assert metric.numerator is not None and metric.denominator is not None
        num_spec = self.spec(metric, metric.numerator)
        den_spec = self.spec(metric, metric.denominator)
        num = self.column(num_spec)
        den = self.column(den_spec)
        num_out = _zero(num) if num_spec.agg in _ADDITIVE else num
        den_out = _zero(den) if den_spec.agg in _ADDITIVE else den
        n = _zero(self.column(den_spec.population()))
        ratio = exp.Div(this=self._scaled(num_out, metric.scale), expression=den_out.copy())
        value = _when(exp.NEQ(this=den_out.copy(), expression=exp.Literal.number(0)), ratio)
        return Outputs(value, num_out.copy(), den_out.copy(), n)

    def _derived(self, metric: Metric) -> Outputs:
        assert metric.expr is not None
        refs = {ref: self.metric(self.catalogue[ref]) for ref in derived_inputs(metric)}

        def swap(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Column) and node.name in refs:
                return exp.Paren(this=refs[node.name].value.copy())
            return node

        value = ex.parse(metric.expr).transform(swap)
        if metric.scale != 1:
            value = exp.Mul(this=exp.Paren(this=value), expression=exp.Literal.number(metric.scale))
        sizes = [o.sample_size.copy() for o in refs.values()]
        n = sizes[0] if len(sizes) == 1 else exp.func("LEAST", *sizes)
        return Outputs(value, exp.null(), exp.null(), n)


def _zero(column: exp.Expr) -> exp.Expr:
    return exp.func("COALESCE", column, exp.Literal.number(0))


def _when(condition: exp.Expr, value: exp.Expr) -> exp.Expr:
    return exp.Case(ifs=[exp.If(this=condition, true=value)])
