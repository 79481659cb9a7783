"""A conversation streamed event by event ends with exactly the result and findings `csqm inspect` gives."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from csqm.generate import generate
from csqm.inspection import inspect
from csqm.realtime.engine import Processor
from csqm.realtime.replay import load_schedule, stamped
from tests.realtime.conftest import T0

RESULT_COLS = [
    "interaction_id",
    "pack_version",
    "scope_digest",
    "scorecard_id",
    "score",
    "passed",
    "fatal_count",
    "finding_count",
    "deduction_total",
    "offered_at",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rtdemo")
    generate(out, interactions=60, seed=11)
    return out


def snapshot(proc: Processor) -> tuple[pd.DataFrame, pd.DataFrame]:
    results = proc.store.query(f'SELECT {", ".join(RESULT_COLS)} FROM "inspection_results" ORDER BY "interaction_id"')
    findings = proc.store.query('SELECT * FROM "inspection_findings" ORDER BY "interaction_id", "finding_no"')
    return results.reset_index(drop=True), findings.reset_index(drop=True)


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "queued"])
def test_streamed_conversations_match_batch_inspection(proc: Processor, demo: Path, inline: bool) -> None:
    proc.inline_inspection = inline
    items = load_schedule(demo, every=3.0)
    events = [e for _, e in stamped(items, T0, speed=1.0)]
    queued: list[str] = []
    for start in range(0, len(events), 37):  # batches cut across conversations
        out = proc.process(events[start : start + 37])
        assert out.errors == [] and out.deferred == []
        queued += out.queued
    if not inline:
        assert proc.store.scalar('SELECT count(*) FROM "inspection_results"') == 0
        assert sorted(proc.inspect_pending()) == sorted(queued)
        assert proc.inspect_pending() == []
    n = proc.store.scalar('SELECT count(DISTINCT "interaction_id") FROM "utterances"')
    assert n >= 40
    live_results, live_findings = snapshot(proc)
    assert len(live_results) == n and len(live_findings) > n  # every conversation inspected, with findings
    summary = inspect(proc.store, force=True)
    assert summary.inspected == n
    batch_results, batch_findings = snapshot(proc)
    pd.testing.assert_frame_equal(live_results, batch_results)
    pd.testing.assert_frame_equal(live_findings, batch_findings)
    assert inspect(proc.store).inspected == 0  # and batch sees nothing left to do


def test_turn_arriving_after_the_end_reinspects(proc: Processor) -> None:
    from tests.realtime.conftest import ended, started, turn

    proc.process([started("c1"), turn("c1", 1, "customer", "你好"), ended("c1")])
    before = proc.store.scalar('SELECT count(*) FROM "inspection_findings" WHERE "interaction_id" = \'c1\'')
    out = proc.process([turn("c1", 2, "agent", "这不归我管", t=200)])
    assert out.inspected == ["c1"]
    after = proc.store.query('SELECT "rule_id" FROM "inspection_findings" WHERE "interaction_id" = \'c1\'')
    assert len(after) > before and "zh.forbidden.shirking" in set(after["rule_id"])
