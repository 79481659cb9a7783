"""Findings and training needs from the test-call programme (``testcall_results``), published results only.

Read-only use of the test-call tables (owned by ``csqm.testcalls``); when they are absent nothing is found.
Unpublished results stay confidential, so they never become findings or training needs.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from csqm.store import Store

if TYPE_CHECKING:
    from csqm.improvement.findings import DetectSettings, Draft

#: Tests failing the same standard in a team: at least this many, and at least this share of its tests.
MIN_TEST_FAILURES = 3
MIN_TEST_FAIL_SHARE = 0.3


def has_table(store: Store, name: str) -> bool:
    """Whether ``name`` exists in the store's current schema."""
    found = store.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = current_schema()",
        (name,),
    )
    return bool(found)


def published_results(store: Store, start: date, end: date, zone: str) -> pd.DataFrame:
    """Published test results executed on local days ``start``..``end`` (empty without the table)."""
    from csqm.improvement.findings import utc_bounds

    if not has_table(store, "testcall_results"):
        return pd.DataFrame(columns=["task_id", "team_id", "agent_id", "passed", "fail_codes", "key_points_missed"])
    lo, hi = utc_bounds(start, end, zone)
    return store.query(
        'SELECT "task_id", "team_id", "agent_id", "passed", "fail_codes", "key_points_missed", "scenario_id" '
        'FROM "testcall_results" WHERE "published_at" IS NOT NULL AND "executed_at" >= ? AND "executed_at" < ?',
        (lo, hi),
    )


def split_codes(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and value != value):
        return []
    return [c.strip() for c in str(value).split(",") if c.strip()]


def detect_test_calls(store: Store, start: date, end: date, zone: str, cfg: DetectSettings) -> list[Draft]:
    """Per team: a standard failed by ≥ MIN_TEST_FAILURES tests and ≥ MIN_TEST_FAIL_SHARE of its tests."""
    from csqm.improvement.findings import Draft

    frame = published_results(store, start, end, zone)
    drafts: list[Draft] = []
    for team_id, part in frame.dropna(subset=["team_id"]).groupby("team_id"):
        tests = len(part)
        counts = Counter(code for codes in part["fail_codes"] for code in set(split_codes(codes)))
        for code, failed in sorted(counts.items()):
            share = failed / tests
            if failed < MIN_TEST_FAILURES or share < MIN_TEST_FAIL_SHARE:
                continue
            drafts.append(
                Draft(
                    source="test_call",
                    scope_kind="team",
                    scope_value=str(team_id),
                    team_id=str(team_id),
                    rule_id=code,
                    title=f"Team {team_id}: {failed} of {tests} test calls failed standard {code}",
                    evidence=f"{failed} of {tests} published test calls from {start} to {end} failed {code} "
                    f"({100 * share:.0f} %).",
                    value=100.0 * share,
                    period_start=start,
                    period_end=end,
                )
            )
    return drafts
