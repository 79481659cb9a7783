"""``demo_programme``: a quarter planned, scheduled, executed (robot tasks against the in-process bot),
two months published — on both engines."""

from __future__ import annotations

from datetime import datetime

from csqm.store import Store
from csqm.testcalls import Standards, build_report, demo_programme
from csqm.testcalls.records import rows_of
from tests.web.conftest import seed


def test_demo_programme(store: Store) -> None:
    seed(store)  # teams T1, T2; agents; calls in January 2026
    summary = demo_programme(store, seed=7, monthly_quota=12)
    assert summary["plan_id"] == "demo-2026q1"
    assert summary["tasks"] == 3 * (12 + 3) == summary["robot"] + summary["human"]
    assert summary["robot"] > 0 and summary["human"] > 0
    rows = rows_of(store.query('SELECT * FROM "testcall_results"'))
    assert len(rows) == summary["tasks"]
    assert {r["source"] for r in rows} == {"robot", "form"}
    published = [r for r in rows if r["published_at"] is not None]
    assert len(published) == summary["published"] and {r["month"] for r in published} == {"2026-01", "2026-02"}
    robot = [r for r in rows if r["source"] == "robot"]
    assert all(r["channel"] == "chat" and r["answered"] for r in robot)
    assert all(r["agent_id"] in (None, "A1", "A2", "B1") for r in rows)
    report = build_report(rows, Standards(), by="team", as_of=datetime(2026, 6, 1))
    assert {g.group for g in report.groups} == {"T1", "T2"}
    # the same seed gives the same programme
    again = rows_of(store.query('SELECT "task_id", "passed" FROM "testcall_results" ORDER BY 1'))
    store.execute('DELETE FROM "testcall_results"')
    store.execute('DELETE FROM "testcall_tasks"')
    demo_programme(store, seed=7, monthly_quota=12)
    assert rows_of(store.query('SELECT "task_id", "passed" FROM "testcall_results" ORDER BY 1')) == again
