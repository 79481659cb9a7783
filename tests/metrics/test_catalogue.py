"""The catalogue: shipped metrics, user overrides, and validation that reports every problem at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from csqm.metrics import DIMENSIONS, CatalogueError, default_catalogue, load_catalogue
from csqm.metrics.validate import metric_dimensions

KPI_BRIEF = {
    "efficiency": [
        "service_level",
        "asa",
        "answer_rate",
        "abandon_rate",
        "first_response_time",
        "online_response_30s",
        "aht",
        "transfer_rate",
        "ticket_resolution_p50",
        "ticket_resolution_p90",
        "sla_first_response",
        "sla_complex_resolution",
        "channel_coverage",
        "bot_containment",
        "automation_share",
        "bot_escalation_rate",
    ],
    "quality": [
        "fcr",
        "fcr_24h",
        "fcr_7d",
        "resolution_rate",
        "reopen_rate",
        "csat",
        "csat_mean",
        "nps",
        "ces",
        "complaint_rate",
        "repeat_complaint_rate",
        "escalation_rate",
    ],
    "compliance": ["ticket_field_completeness", "ticket_close_process"],
    "workforce": ["occupancy", "utilisation", "schedule_adherence", "schedule_conformance", "attrition"],
    "customer": ["repurchase_rate", "complainer_repurchase_rate"],
}


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_the_shipped_catalogue_has_every_kpi_of_the_brief() -> None:
    catalogue = default_catalogue()
    for dimension, ids in KPI_BRIEF.items():
        for metric_id in ids:
            assert catalogue[metric_id].dimension == dimension, metric_id
    kinds = {m.kind for m in catalogue.active()}
    assert kinds == {"simple", "ratio", "derived", "percentile"}


def test_every_metric_is_documented_and_has_a_target() -> None:
    for metric in default_catalogue().active():
        assert metric.name.zh and metric.name.en and len(metric.description) >= 40, metric.id
        assert metric.target is not None and metric.owner and metric.cadence, metric.id


def test_interaction_metrics_reach_every_dimension() -> None:
    catalogue = default_catalogue()
    assert metric_dimensions(catalogue["service_level"], catalogue) == set(DIMENSIONS)
    assert metric_dimensions(catalogue["complaint_rate"], catalogue) == set(DIMENSIONS)
    assert metric_dimensions(catalogue["nps"], catalogue) == set(DIMENSIONS)


def test_a_user_directory_overrides_and_adds(tmp_path: Path) -> None:
    write(
        tmp_path / "metrics",
        "ours.yaml",
        """
        metrics:
          - id: service_level
            params: {threshold_seconds: {value: 30}}
            target: 85
            warning: 80
          - id: long_calls
            name: {zh: 长通话占比, en: Long calls}
            dimension: efficiency
            description: Share of answered phone calls with more than 600 seconds of talk time.
            kind: ratio
            source: interactions
            filter: "channel = 'phone' AND talk_seconds IS NOT NULL"
            numerator: {agg: count, filter: "talk_seconds > 600"}
            denominator: {agg: count}
            scale: 100
            unit: "%"
            direction: lower
            target: 10
            warning: 15
            cadence: weekly
            owner: 运营部
    """,
    )
    catalogue = load_catalogue(tmp_path / "metrics")
    sl = catalogue["service_level"]
    assert sl.param_values()["threshold_seconds"] == 30
    assert sl.params["threshold_seconds"].doc.startswith("Y:")  # the rest of the definition is kept
    assert (sl.target, sl.warning, sl.unit) == (85, 80, "%")
    assert catalogue["long_calls"].kind == "ratio"


def test_a_metric_can_be_retired(tmp_path: Path) -> None:
    write(tmp_path / "m", "retire.yaml", "metrics:\n  - {id: channel_coverage, retired: true}\n")
    catalogue = load_catalogue(tmp_path / "m")
    assert "channel_coverage" in catalogue
    assert "channel_coverage" not in [m.id for m in catalogue.active()]


BROKEN = """
    metrics:
      - id: service_level
        filter: "channel IN (:channels) AND colour = 'red'"
      - id: asa
        warning: 10
      - id: bad_one
        name: {zh: 坏, en: Bad}
        dimension: efficiency
        description: A metric with every kind of mistake in its definition, for the test.
        kind: ratio
        source: interactions
        params:
          unused: {value: 1, doc: never used}
        numerator: {agg: count, filter: "(SELECT 1) = 1 AND :nope > 0"}
        denominator: {agg: count, source: tickets, filter: "md5(category) = 'x'"}
        unit: "%"
        direction: higher
        target: 90
        warning: 80
        scenarios:
          - {when: {colour: red}, target: 1, warning: 1}
          - {when: {channel: fax}, target: 1, warning: 1}
        cadence: daily
        owner: nobody
      - id: loop_a
        name: {zh: 甲, en: A}
        dimension: quality
        description: Derived from loop_b, which is derived from loop_a again.
        kind: derived
        expr: "loop_b + missing_metric"
        unit: points
        direction: higher
        cadence: daily
        owner: nobody
      - id: loop_b
        name: {zh: 乙, en: B}
        dimension: quality
        description: Derived from loop_a, which is derived from loop_b again.
        kind: derived
        expr: "loop_a * 2"
        unit: points
        direction: higher
        cadence: daily
        owner: nobody
      - id: no_parts
        name: {zh: 缺, en: Missing}
        dimension: nowhere
        description: short
        kind: ratio
"""


def test_validation_reports_every_problem_with_file_and_line(tmp_path: Path) -> None:
    write(tmp_path / "m", "a.yaml", BROKEN)
    write(tmp_path / "m", "b.yaml", "metrics:\n  - id: x\n    name: [unclosed\n")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(tmp_path / "m")
    text = str(caught.value)
    expected = [
        # the override replaced the filter that used this parameter; it is reported where declared
        ("10-efficiency.yaml:19", "service_level", "parameter 'short_abandon_seconds' is not used"),
        ("m/a.yaml:3", "service_level", "unknown column 'colour'"),
        ("m/a.yaml:5", "asa", "lower is better, so the warning level (10) must be ≥ the target (20)"),
        ("m/a.yaml:13", "bad_one", "parameter 'unused' is not used"),
        ("m/a.yaml:14", "bad_one", "subquery is not allowed"),
        ("m/a.yaml:14", "bad_one", "unknown parameter :nope"),
        ("m/a.yaml:15", "bad_one", "function MD5() is not allowed"),
        ("m/a.yaml:21", "bad_one", "unknown dimension 'colour'"),
        ("m/a.yaml:22", "bad_one", "unknown channel 'fax'"),
        ("m/a.yaml:30", "loop_a", "unknown metric 'missing_metric'"),
        ("m/a.yaml:30", "loop_a", "derived metric depends on itself"),
        ("m/a.yaml:40", "loop_b", "derived metric depends on itself"),
        ("m/a.yaml:45", "no_parts", "unit: Field required"),
        ("m/a.yaml:47", "no_parts", "dimension: Input should be"),
        ("m/a.yaml:48", "no_parts", "description: String should have at least 20 characters"),
        ("m/b.yaml:4", None, "YAML error: while parsing a flow sequence"),
    ]
    missing = [e for e in expected if not any(e[0] in line and e[2] in line for line in text.splitlines())]
    assert not missing, text
    assert len(caught.value.problems) == len(expected) + 3  # + direction, cadence, owner required


def test_a_duplicate_id_in_one_file_is_reported(tmp_path: Path) -> None:
    write(
        tmp_path / "m",
        "dup.yaml",
        "metrics:\n  - {id: aht, target: 1, warning: 2}\n  - {id: aht, target: 1, warning: 2}\n",
    )
    with pytest.raises(CatalogueError, match=r"dup.yaml:3: aht: declared twice"):
        load_catalogue(tmp_path / "m")


def test_a_missing_user_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="does not exist"):
        load_catalogue(tmp_path / "nowhere")
