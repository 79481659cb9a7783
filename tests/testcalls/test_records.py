"""Execution records on both engines: masking, inspection score, verdict, CSV import (row+field errors,
atomic), follow-ups tracked until closed or overdue, publishing."""

from __future__ import annotations

from datetime import datetime

import pytest

from csqm.store import Store
from csqm.testcalls import RecordInput, Scenario, TestcallError, TestcallFileError, import_csv, publish, record_result
from csqm.testcalls.records import parse_transcript, update_follow_up
from csqm.testcalls.service import followups


def _results(store: Store) -> int:
    return int(store.scalar('SELECT count(*) FROM "testcall_results"'))


def _task(store: Store, channel: str, n: int = 0) -> dict[str, str]:
    frame = store.query('SELECT * FROM "testcall_tasks" WHERE "channel" = ? ORDER BY "task_id"', (channel,))
    return {str(k): str(v) for k, v in frame.iloc[n].to_dict().items()}


def test_record_masks_inspects_and_judges(scheduled: Store, scenarios: dict[str, Scenario]) -> None:
    task = _task(scheduled, "phone")
    points = [k.id for k in scenarios[task["scenario_id"]].key_points]
    transcript = "坐席：您好，很高兴为您服务\n客户: 我的手机是13812345678，订单什么时候到？\n坐席: 这不归我管"
    row = record_result(
        scheduled,
        RecordInput(
            task_id=task["task_id"], executed_at=datetime(2026, 1, 8, 10, 0), agent_id="A1", answered=True, rings=2,
            transcript=transcript, notes="客户留了电话13812345678", key_points_covered=points[:1],
            resolved_on_spot=True, attitude=4, clarity=4, accuracy=4,
        ),
        scenarios=scenarios, by="u_tester",
    )  # fmt: skip
    stored = scheduled.query('SELECT * FROM "testcall_results"').iloc[0]
    assert "13812345678" not in stored["transcript"] and "138****5678" in stored["transcript"]
    assert "13812345678" not in stored["notes"]
    assert stored["executed_at"] == datetime(2026, 1, 8, 2, 0)  # 10:00 Asia/Shanghai
    assert stored["inspection_score"] is not None and not bool(stored["inspection_passed"])
    assert "zh.forbidden.shirking" in stored["inspection_findings"]
    assert row["key_points_total"] == len(points)
    codes = set(str(stored["fail_codes"]).split(","))
    assert "inspection" in codes and "key_points" in codes
    assert not bool(stored["passed"])
    status = scheduled.scalar('SELECT "status" FROM "testcall_tasks" WHERE "task_id" = ?', (task["task_id"],))
    assert status == "done"
    with pytest.raises(TestcallError, match="already has a recorded result"):
        record_result(scheduled, RecordInput(task_id=task["task_id"], answered=False), scenarios=scenarios, by="x")


def test_record_refuses_inconsistent_input(scheduled: Store, scenarios: dict[str, Scenario]) -> None:
    chat = _task(scheduled, "chat")
    with pytest.raises(TestcallError) as err:
        record_result(
            scheduled,
            RecordInput(task_id=chat["task_id"], channel="phone", answered=True, rings=3, key_points_covered=["nope"],
                        transcript="hello there"),
            scenarios=scenarios, by="x",
        )  # fmt: skip
    message = str(err.value)
    for part in ("channel:", "rings:", "key_points_covered: nope", "transcript: Transcript line 1"):
        assert part in message
    assert _results(scheduled) == 0
    with pytest.raises(TestcallError, match="no test-call task 'missing'"):
        record_result(scheduled, RecordInput(task_id="missing", answered=True), scenarios=scenarios, by="x")


def test_parse_transcript() -> None:
    turns = parse_transcript("客户：你好\n\nagent: hi\n坐席:您好")
    assert [(t["seq"], t["speaker"], t["text"]) for t in turns] == [
        (1, "customer", "你好"),
        (2, "agent", "hi"),
        (3, "agent", "您好"),
    ]


def _csv(rows: list[str]) -> str:
    header = "task_id,answered,rings,first_response_seconds,key_points_covered,resolved_on_spot,attitude,notes"
    return "\n".join([header, *rows]) + "\n"


def test_csv_import_all_or_nothing(scheduled: Store, scenarios: dict[str, Scenario]) -> None:
    phone, chat = _task(scheduled, "phone"), _task(scheduled, "chat")
    good = f"{phone['task_id']},yes,2,,,是,5,ok"
    bad = [
        good,
        f"{chat['task_id']},maybe,,12,,no,4,",  # row 3: answered not a boolean
        f"{chat['task_id']},yes,,abc,,no,9,",  # row 4: duplicate task id
        "nope,yes,,,,no,,",  # row 5: unknown task
        f"{_task(scheduled, 'chat', 1)['task_id']},yes,,5,,no,9,",  # row 6: attitude 9 > 5
    ]
    with pytest.raises(TestcallFileError) as err:
        import_csv(scheduled, "results.csv", scenarios=scenarios, by="x", text=_csv(bad))
    problems = err.value.problems
    assert problems[0].startswith("row 3, field answered:")
    assert any(p.startswith("row 4, field first_response_seconds:") for p in problems)
    assert any(p.startswith("row 5, field task_id:") for p in problems)
    assert any(p.startswith("row 6, field attitude:") for p in problems)
    assert _results(scheduled) == 0  # nothing half-written
    with pytest.raises(TestcallFileError, match="row 1: unknown column"):
        import_csv(scheduled, "x.csv", scenarios=scenarios, by="x", text="task_id,answered,colour\n")
    assert (
        import_csv(scheduled, "ok.csv", scenarios=scenarios, by="x", text=_csv([good, f"{chat['task_id']},no,,,,no,,"]))
        == 2
    )
    assert _results(scheduled) == 2
    src = set(scheduled.query('SELECT "source" FROM "testcall_results"')["source"])
    assert src == {"csv"}
    dup = _csv([good])
    with pytest.raises(TestcallFileError, match=r"row 2: .*already has a recorded result"):
        import_csv(scheduled, "again.csv", scenarios=scenarios, by="x", text=dup)


def test_followups_tracked_until_closed_or_overdue(scheduled: Store, scenarios: dict[str, Scenario]) -> None:
    a, b = _task(scheduled, "phone", 0), _task(scheduled, "phone", 1)
    for task in (a, b):
        record_result(
            scheduled,
            RecordInput(task_id=task["task_id"], executed_at=datetime(2026, 1, 8, 10), answered=True, rings=1,
                        resolved_on_spot=False, follow_up_promised=True),
            scenarios=scenarios, by="x",
        )  # fmt: skip
    # the plan's follow_up_days (2) gives the deadline 2026-01-10 02:00 UTC
    deadline = datetime(2026, 1, 10, 2)
    assert scheduled.scalar('SELECT max("follow_up_deadline") FROM "testcall_results"') == deadline
    states = {r["task_id"]: r["state"] for r in followups(scheduled, as_of=datetime(2026, 1, 9))}
    assert states == {a["task_id"]: "open", b["task_id"]: "open"}
    closed = update_follow_up(scheduled, a["task_id"], resolved_at=datetime(2026, 1, 9, 12))
    assert closed["passed"] is False  # key points were not covered, but the follow-up itself is fine
    assert "follow_up_late" not in closed["fail_codes"]
    later = {r["task_id"]: r["state"] for r in followups(scheduled, as_of=datetime(2026, 1, 11))}
    assert later == {b["task_id"]: "overdue"}
    everything = {
        r["task_id"]: r["state"] for r in followups(scheduled, as_of=datetime(2026, 1, 11), include_closed=True)
    }
    assert everything[a["task_id"]] == "resolved"
    with pytest.raises(TestcallError, match="already closed"):
        update_follow_up(scheduled, a["task_id"])


def test_publish(scheduled: Store, scenarios: dict[str, Scenario]) -> None:
    task = _task(scheduled, "phone")
    record_result(scheduled, RecordInput(task_id=task["task_id"], answered=False), scenarios=scenarios, by="x")
    assert publish(scheduled, "q1", month="2026-02") == 0
    assert publish(scheduled, "q1") == 1
    assert publish(scheduled, "q1") == 0
    with pytest.raises(TestcallError, match="no test-call plan 'zz'"):
        publish(scheduled, "zz")


def test_overdue_follow_up_updates_the_stored_verdict(scheduled: Store, scenarios: dict[str, Scenario]) -> None:
    from datetime import timedelta

    from csqm.testcalls.plans import now_utc
    from csqm.testcalls.records import refresh_overdue

    task = _task(scheduled, "phone")
    points = [k.id for k in scenarios[task["scenario_id"]].key_points]
    row = record_result(
        scheduled,
        RecordInput(task_id=task["task_id"], answered=True, rings=1, key_points_covered=points, attitude=5,
                    resolved_on_spot=False, follow_up_promised=True),
        scenarios=scenarios, by="x",
    )  # fmt: skip
    assert row["passed"] is True and row["fail_codes"] == ""  # the follow-up is not due yet
    assert refresh_overdue(scheduled) == 0
    assert refresh_overdue(scheduled, as_of=now_utc() + timedelta(days=3)) == 1
    stored = scheduled.query('SELECT "passed", "fail_codes" FROM "testcall_results"').iloc[0]
    assert not bool(stored["passed"]) and stored["fail_codes"] == "follow_up_late"
    assert refresh_overdue(scheduled, as_of=now_utc() + timedelta(days=4)) == 0  # judged once
