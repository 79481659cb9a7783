"""YAML plans and scenarios: validated with every problem reported at once with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from csqm.testcalls import Scenario, TestcallFileError, load_plans, load_scenarios
from csqm.testcalls.loading import load_faq


def test_shipped_library_covers_channels_kinds_and_risks(scenarios: dict[str, Scenario]) -> None:
    assert {s.channel for s in scenarios.values()} >= {"phone", "chat", "email"}
    for channel in ("phone", "chat"):
        kinds = {s.kind for s in scenarios.values() if s.channel == channel}
        moods = {s.mood for s in scenarios.values() if s.channel == channel}
        assert kinds == {"common", "complex", "special"} and {"angry", "urgent"} <= moods
    assert {s.risk for s in scenarios.values()} == {"low", "medium", "high"}
    assert all(s.name_zh and s.name_en for s in scenarios.values())
    assert len(load_faq().entries) >= 5


BAD_PLAN = """\
version: 1
plans:
  - id: q1
    name: x
    quarter: 2026Q5
    purpose: p
    channels: [phone, fax]
    teams: [T1]
    monthly_quota: 0
    scenarios: [phone.delivery_status, chat.refund_policy, nope]
    testers:
      - {id: a, kind: external}
"""


def test_plan_errors_all_at_once_with_lines(scenarios: dict[str, Scenario]) -> None:
    with pytest.raises(TestcallFileError) as err:
        load_plans("plans.yaml", scenarios, text=BAD_PLAN)
    text = " | ".join(err.value.problems)
    assert "plans.yaml:5: plans[0].quarter" in text
    assert "plans.yaml:7: plans[0].channels: unknown channel 'fax'" in text
    assert "at least 1 item" not in text  # no echo of the item errors
    assert "plans.yaml:9: plans[0].monthly_quota" in text
    assert "plans.yaml:12: plans[0].testers[0]: an external tester names their agency" in text
    good = BAD_PLAN.replace("2026Q5", "2026Q1").replace(", fax", "").replace("quota: 0", "quota: 5")
    good = good.replace("kind: external", "kind: internal")
    with pytest.raises(TestcallFileError) as err2:
        load_plans("plans.yaml", scenarios, text=good)
    problems = err2.value.problems
    assert "plans.yaml:10: plans[0].scenarios[1]: scenario 'chat.refund_policy' is for channel 'chat', " \
           "outside the plan's channels" in problems  # fmt: skip
    assert "plans.yaml:10: plans[0].scenarios[2]: unknown scenario 'nope'" in problems


def test_scenario_file_errors(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "version: 1\nscenarios:\n  - id: x1\n    name_zh: 甲\n    name_en: A\n    channel: phone\n"
        "    steps: [hi]\n    key_points: [{id: k, text: t}, {id: k, text: u}]\n"
        "  - id: x2\n    name_zh: 乙\n    name_en: B\n    channel: pager\n    steps: []\n"
        "    key_points: [{id: k, text: t}]\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yaml").write_text("version: 1\nscenarios: [\n", encoding="utf-8")
    with pytest.raises(TestcallFileError) as err:
        load_scenarios([tmp_path])
    text = " | ".join(err.value.problems)
    assert "a.yaml:3: scenarios[0]: duplicate key point id(s): k" in text
    assert "a.yaml:12: scenarios[1].channel: unknown channel 'pager'" in text
    assert "a.yaml:13: scenarios[1].steps" in text
    assert "b.yaml:" in text and "not valid YAML" in text


def test_user_scenario_replaces_shipped(tmp_path: Path) -> None:
    (tmp_path / "mine.yml").write_text(
        "scenarios:\n  - {id: chat.refund_policy, name_zh: 退货, name_en: Returns, channel: chat, steps: [可以退吗],"
        " key_points: [{id: k, text: 可以}]}\n",
        encoding="utf-8",
    )
    lib = load_scenarios([tmp_path])
    assert lib["chat.refund_policy"].name_en == "Returns" and len(lib) == len(load_scenarios())
