"""``csqm testcalls`` end to end on the embedded store: plan, schedule, tasks, record, import, follow-ups,
publish, report exports, robot against the shipped bot, and clear one-sentence errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from csqm.cli import progress
from csqm.cli.main import cli
from csqm.store import open_store
from csqm.testcalls import BotServer
from tests.testcalls.conftest import PLAN_FILE


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("CSQM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CSQM_SECRET", "test-secret-0123456789abcdef")
    monkeypatch.setenv("COLUMNS", "200")
    # the shared console measured the terminal when first imported, perhaps by another test: widen it here
    monkeypatch.setattr(progress.console, "width", 200)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["testcalls", *args], catch_exceptions=False)

    return invoke


def _tasks(tmp_path: Path) -> list[tuple[str, str, str, str]]:
    from csqm.settings import Settings

    settings = Settings.model_validate({"data_dir": tmp_path / "data", "secret": "test-secret-0123456789abcdef"})
    store = open_store(settings=settings)
    try:
        frame = store.query(
            'SELECT "task_id", "channel", "tester_kind", "scenario_id" FROM "testcall_tasks" ORDER BY 1'
        )
        return [tuple(map(str, r)) for r in frame.itertuples(index=False)]  # type: ignore[misc]
    finally:
        store.close()


def test_every_command_has_help(run: object) -> None:
    invoke = run  # type: ignore[assignment]
    for command in ("plan", "scenarios", "schedule", "tasks", "record", "import", "followups", "publish", "report",
                    "robot", "bot"):  # fmt: skip
        result = invoke(command, "--help")  # type: ignore[operator]
        assert result.exit_code == 0 and "Usage:" in result.output


def test_programme_end_to_end(run: object, tmp_path: Path) -> None:
    invoke = run  # type: ignore[assignment]
    assert "chat.refund_policy" in invoke("scenarios", "--channel", "chat").output  # type: ignore[operator]
    assert "1 plan(s) valid: q1" in invoke("plan", str(PLAN_FILE), "--check").output  # type: ignore[operator]
    assert "Stored plan(s) q1." in invoke("plan", str(PLAN_FILE)).output  # type: ignore[operator]
    out = invoke("schedule", "q1", "2026-01", "--seed", "1").output  # type: ignore[operator]
    assert "Scheduled 13 tasks for 2026-01 of q1 (3 unannounced spot checks), seed 1." in out
    tasks = _tasks(tmp_path)
    phone = [t for t in tasks if t[1] == "phone"]
    robot = [t for t in tasks if t[2] == "robot"]
    transcript = tmp_path / "call.txt"
    transcript.write_text(
        "坐席: 您好，很高兴为您服务\n客户: 我要退款\n坐席: 抱歉，原路退回3个工作日到账\n", encoding="utf-8"
    )
    out = invoke("record", phone[0][0], "--answered", "--rings", "5", "--transcript", str(transcript),  # type: ignore[operator]
                 "--resolved", "--attitude", "5", "--clarity", "5", "--accuracy", "5").output  # fmt: skip
    assert "failed" in out and "Answered after 5 rings (standard: within 3)." in out and "Inspection: score" in out
    csv = tmp_path / "results.csv"
    csv.write_text(
        "task_id,answered,rings,resolved_on_spot,follow_up_promised,follow_up_deadline\n"
        f"{phone[1][0]},yes,1,no,yes,2026-01-02 10:00\n{phone[2][0]},no,,no,no,\n",
        encoding="utf-8",
    )
    assert f"Imported 2 test results from {csv}." in invoke("import", str(csv)).output  # type: ignore[operator]
    out = invoke("followups").output  # type: ignore[operator]
    assert phone[1][0] in out and "overdue" in out
    out = invoke("followups", "--close", phone[1][0], "--resolved-at", "2026-01-02 09:00").output  # type: ignore[operator]
    assert f"{phone[1][0]}: failed: Covered 0 of 3 key points" in out, out  # the follow-up itself was in time
    assert phone[1][0] not in invoke("followups").output  # type: ignore[operator]
    with BotServer() as bot:
        out = invoke("robot", "--url", bot.url, "--task", robot[0][0]).output  # type: ignore[operator]
    assert robot[0][0] in out
    assert "Published 4 results of q1." in invoke("publish", "q1").output  # type: ignore[operator]
    out = invoke("report", "--plan", "q1", "--by", "team").output  # type: ignore[operator]
    assert "Test-call report (4 tests)" in out and "Correlation rating ~ resolved_on_spot" in out
    for suffix in ("json", "xlsx", "csv"):
        target = tmp_path / f"report.{suffix}"
        assert f"Wrote {target}." in invoke("report", "--by", "scenario", "--output", str(target)).output  # type: ignore[operator]
        assert target.stat().st_size > 0
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["overall"]["tests"] == 4 and data["dimension"] == "scenario"


def test_errors_are_one_sentence(run: object, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nplans:\n  - id: Q!\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["testcalls", "plan", str(bad)])
    assert result.exit_code == 1 and f"{bad}:3: plans[0].id" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["testcalls", "schedule", "nope", "2026-01"])
    assert result.exit_code == 1 and "There is no test-call plan 'nope'" in result.output
    result = CliRunner().invoke(cli, ["testcalls", "robot", "--url", "http://127.0.0.1:1/chat"])
    assert result.exit_code == 2 and "--task" in result.output
