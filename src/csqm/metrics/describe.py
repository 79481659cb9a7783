"""Metrics in words and formulas: for ``csqm metrics --list`` and the generated ``docs/metrics.md``."""

from __future__ import annotations

from csqm.metrics.catalogue import Catalogue
from csqm.metrics.model import Measure, Metric, Param
from csqm.metrics.sources import DIMENSIONS, SOURCES
from csqm.metrics.validate import metric_dimensions

DOC_HEADER = """\
# Metric catalogue

<!-- Generated from src/csqm/metrics/catalogue/*.yaml by `python -m csqm.metrics.describe`.
     Do not edit by hand: tests/metrics/test_docs.py fails when this file is stale. -->

Every KPI CSQM computes, exactly as computed. Query them with

```
csqm metrics --list                                   # this catalogue, with definitions
csqm metrics service_level fcr --by team,channel --grain week --from 2026-01-01 --to 2026-03-31
csqm metrics --where 'channel=phone,chat;business_line=ToB' --format xlsx -o kpis.xlsx
csqm metrics aht --history                            # every version of a definition and target
```

or from Python, `csqm.metrics.compute_metrics(store, ["fcr"], by=["team"], grain="week", start=…,
end=…, where="channel=phone")`, which returns one row per metric × period × breakdown with `value`,
`numerator`, `denominator`, `sample_size`, `unit`, `direction`, `target`, `warning`, `status`
(good / warning / bad), `version` and `definition_hash`. Breakdowns and filters: centre, team, agent,
channel, queue, topic, product, region, business_line, segment; a metric whose source cannot reach a
dimension says so instead of ignoring it. Grains: hour, day, week, month, quarter.

Percentages are 0–100; a ratio's value is `scale × numerator ÷ denominator` and is null when the
denominator is 0; an empty slice gives null, never 0. Periods are in the reporting zone ({zone});
weeks start on Monday; a period uses the definition and target in effect on its first day (see
*History* in `docs/metrics-engines.md`).
Parameters are settings with defaults: override them, targets or whole metrics in your own catalogue
directory (`$CSQM_METRICS_DIR`, or `<data dir>/metrics/*.yaml`):

```yaml
metrics:
  - id: service_level
    params: {{threshold_seconds: {{value: 30}}}}
    target: 85
    warning: 80
    effective_from: 2026-07-01
```

Status: for "higher is better", value ≥ target is *good*, ≥ warning *warning*, else *bad* (mirrored
for "lower is better"). A scenario target applies to result rows whose breakdown (or a one-value
filter) matches it; the most specific scenario wins.

"""


def _measure(measure: Measure, metric: Metric) -> str:
    target = "*" if measure.expr is None else measure.expr
    if metric.kind == "percentile":
        text = f"percentile_cont({metric.quantile:g})({target})"
    elif measure.agg == "count_distinct":
        text = f"count(distinct {target})"
    else:
        text = f"{measure.agg}({target})"
    source = measure.source or metric.source
    if source != metric.source:
        text += f" over {source}"
    return text + (f" where {measure.filter}" if measure.filter else "")


def parts(metric: Metric) -> list[tuple[str, str]]:
    """(label, text) lines that together state the exact computation."""
    scale = _scale(metric.scale)
    if metric.kind == "derived":
        return [("Value", f"{scale}{metric.expr}")]
    population = str(metric.source) + (f" where {metric.filter}" if metric.filter else "")
    out = [("Population", population)]
    if metric.kind == "ratio":
        assert metric.numerator is not None and metric.denominator is not None
        out += [
            ("Numerator", _measure(metric.numerator, metric)),
            ("Denominator", _measure(metric.denominator, metric)),
        ]
        out.append(("Value", f"{scale}numerator ÷ denominator (null when the denominator is 0)"))
    else:
        assert metric.measure is not None
        out.append(("Value", f"{scale}{_measure(metric.measure, metric)}"))
    return out


def _scale(scale: float) -> str:
    if scale == 1:
        return ""
    inverse = 1 / scale
    if scale < 1 and abs(inverse - round(inverse)) < 1e-6:
        return f"1/{round(inverse)} × "  # e.g. seconds → hours
    return f"{scale:g} × "


def formula(metric: Metric) -> str:
    """The computation in one line (for the CLI listing)."""
    return "; ".join(f"{label.lower()}: {text}" for label, text in parts(metric))


def _param(name: str, param: Param) -> str:
    return f"`{name}` = {param.value!r} ({param.doc.rstrip('.')})"


def _target(metric: Metric) -> str:
    if metric.target is None:
        return "none"
    out = f"{metric.target:g} (warning {metric.warning:g})"
    for s in metric.scenarios:
        when = ", ".join(f"{k}={v}" for k, v in s.when.items())
        out += f"; {when}: {s.target:g} (warning {s.warning:g})"
    return out


def metric_markdown(metric: Metric, catalogue: Catalogue) -> str:
    direction = "higher is better" if metric.direction == "higher" else "lower is better"
    dims = metric_dimensions(metric, catalogue)
    lines = [
        f"### `{metric.id}` — {metric.name.zh} / {metric.name.en}",
        "",
        metric.description,
        "",
        f"- **Kind**: {metric.kind}; **unit**: {metric.unit}; **{direction}**",
        *(f"- **{label}**: `{text}`" for label, text in parts(metric)),
    ]
    if metric.params:
        lines.append("- **Parameters**: " + "; ".join(_param(n, p) for n, p in metric.params.items()))
    lines += [
        f"- **Target**: {_target(metric)}",
        f"- **Cadence**: {metric.cadence}; **owner**: {metric.owner}",
        "- **Breakdowns**: " + (", ".join(d for d in DIMENSIONS if d in dims) or "none"),
    ]
    if metric.retired:
        lines.append("- **Retired**: kept for history, not computed by default")
    return "\n".join(lines) + "\n"


def catalogue_markdown(catalogue: Catalogue) -> str:
    """The whole of ``docs/metrics.md``."""
    parts = [DOC_HEADER.format(zone=catalogue.reporting_timezone)]
    parts.append("## Summary\n\n| id | 名称 | name | dimension | unit | direction | target | warning |\n")
    parts.append("|---|---|---|---|---|---|---|---|\n")
    for m in catalogue.metrics.values():
        target = "" if m.target is None else f"{m.target:g}"
        warning = "" if m.warning is None else f"{m.warning:g}"
        cells = [f"`{m.id}`", m.name.zh, m.name.en, m.dimension, m.unit, m.direction, target, warning]
        parts.append("| " + " | ".join(cells) + " |\n")
    for dimension in ("efficiency", "quality", "compliance", "workforce", "customer", "test-call"):
        members = [m for m in catalogue.metrics.values() if m.dimension == dimension]
        if members:
            parts.append(f"\n## {dimension.capitalize()}\n\n")
            parts.append("\n".join(metric_markdown(m, catalogue) for m in members))
    parts.append("\n## Sources and computed columns\n\n")
    for src in SOURCES.values():
        parts.append(f"- **{src.name}** — {src.doc}\n")
        for name, computed in src.computed.items():
            parts.append(f"  - `{name}`: {computed.doc}\n")
    return "".join(parts)


def main() -> None:
    """Regenerate ``docs/metrics.md`` from the shipped catalogue."""
    from pathlib import Path

    from csqm.metrics.catalogue import default_catalogue

    path = Path(__file__).resolve().parents[3] / "docs" / "metrics.md"
    path.write_text(catalogue_markdown(default_catalogue()), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
