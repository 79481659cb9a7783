"""Real-time writes move the metric rollup's data version, so a rollup built before them is not served.

A real-time turn or end updates a conversation's ``interactions`` row in place (answered, ended,
abandoned): no row count of a table a metric reads changes, and the server's queued inspection
writes its results only later. Without the event log in the fingerprint, a rollup built between a
call's start and its answer kept answering with the call unanswered (answer rate 0 % instead of
100 %) until some other table changed.
"""

from __future__ import annotations

from datetime import date

from csqm.metrics import compute_metrics, default_catalogue, rollup
from csqm.metrics.rollup.version import data_version
from csqm.realtime.engine import Processor
from tests.realtime.conftest import ended, started, turn

DAY = {"start": date(2026, 3, 2), "end": date(2026, 3, 2)}


def _answer_rate(proc: Processor) -> tuple[float, list[str]]:
    fast = rollup.compute_metrics(proc.store, ["answer_rate"], record_history=False, **DAY)
    raw = compute_metrics(proc.store, ["answer_rate"], record_history=False, **DAY)
    assert fast["value"].tolist() == raw["value"].tolist()
    return float(fast["value"].iloc[0]), list(fast.attrs["rollup"])


def test_a_turn_and_an_end_make_a_built_rollup_stale(proc: Processor) -> None:
    proc.inline_inspection = False  # as the server does: the end's inspection comes later
    proc.process([started("c1", channel="phone", team_id="T1")])
    rollup.refresh(proc.store, default_catalogue())
    assert _answer_rate(proc) == (0.0, ["answer_rate"])  # offered, not answered yet: from the rollup

    before = data_version(proc.store)
    out = proc.process([turn("c1", 1, "agent", "您好，请讲")])
    assert out.accepted == 1
    assert data_version(proc.store) != before
    assert rollup.current_state(proc.store) is None
    assert _answer_rate(proc) == (100.0, [])  # answered: from the raw tables, not the stale rollup

    rollup.refresh(proc.store, default_catalogue())
    assert _answer_rate(proc) == (100.0, ["answer_rate"])
    before = data_version(proc.store)
    out = proc.process([ended("c1")])
    assert out.queued == ["c1"] and out.inspected == []
    assert data_version(proc.store) != before  # talk time and end changed, nothing inspected yet
    assert rollup.current_state(proc.store) is None


def test_duplicates_and_rejected_events_leave_the_version_alone(proc: Processor) -> None:
    proc.process([started("c1", channel="phone"), turn("c1", 1, "agent", "您好")])
    before = data_version(proc.store)
    out = proc.process([turn("c1", 1, "agent", "您好"), {"type": "utterance"}])
    assert (out.accepted, out.duplicates, len(out.errors)) == (0, 1, 1)
    assert data_version(proc.store) == before
