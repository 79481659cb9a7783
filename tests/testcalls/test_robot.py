"""The robot tester against the shipped FAQ bot on a free loopback port: a good bot, a bot that times
out, one that answers garbage, and an endpoint that is down — each recorded with reasons, nothing crashes."""

from __future__ import annotations

import json
import socket
import urllib.request

import pytest

from csqm.store import Store
from csqm.testcalls import AdapterError, BotServer, FaqBot, HttpJsonAdapter, Scenario, TestcallError, play, run_task
from csqm.testcalls.robot import due_robot_tasks


def _chat_task(store: Store, scenario_id: str) -> str:
    frame = store.query(
        'SELECT "task_id" FROM "testcall_tasks" WHERE "scenario_id" = ? ORDER BY "task_id"', (scenario_id,)
    )
    return str(frame["task_id"].iloc[0])


def test_faq_bot_answers_by_keyword() -> None:
    bot = FaqBot()
    assert "48小时" in bot.answer("我的订单什么时候发货？")
    assert bot.answer("今天天气怎么样") == bot.faq.fallback
    with BotServer() as server:
        request = urllib.request.Request(
            server.url, data=json.dumps({"session": "s", "message": "可以退货吗"}).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            reply = json.loads(response.read())["reply"]
        assert reply.startswith(bot.faq.greeting) and "七天" in reply


def test_good_bot_recorded_like_a_human(scheduled: Store, scenarios: dict[str, Scenario]) -> None:
    task_id = _chat_task(scheduled, "chat.delivery_status")
    with BotServer() as server:
        run = run_task(scheduled, task_id, HttpJsonAdapter(server.url), scenarios=scenarios, timeout=5)
    assert not run.problems and len(run.replies) == 2 and len(run.latencies) == 2
    row = scheduled.query('SELECT * FROM "testcall_results" WHERE "task_id" = ?', (task_id,)).iloc[0]
    assert bool(row["answered"]) and row["source"] == "robot"
    assert row["key_points_covered"] == "ship_48h,tracking" and row["key_points_missed"] == ""
    assert bool(row["resolved_on_spot"]) and int(row["knowledge_errors"]) == 0
    assert 0 <= row["first_response_seconds"] < 5
    assert row["transcript"].startswith("customer: 你好") and row["inspection_score"] is not None
    assert "slow_response" not in str(row["fail_codes"])


def test_wrong_answer_counts_as_knowledge_error(scenarios: dict[str, Scenario]) -> None:
    class Liar:
        def start(self) -> str:
            return "s"

        def send(self, session: str, message: str, timeout: float) -> str:
            return "这个不能退，保本保息"

    run = play(Liar(), scenarios["chat.refund_policy"], "t")
    assert run.record.knowledge_errors == 1 and run.record.key_points_covered == []
    assert run.record.resolved_on_spot is False and run.record.accuracy == 1.0


def test_bot_that_times_out(scheduled: Store, scenarios: dict[str, Scenario]) -> None:
    task_id = _chat_task(scheduled, "chat.refund_policy")
    with BotServer(delay=1.5) as server:
        run = run_task(scheduled, task_id, HttpJsonAdapter(server.url), scenarios=scenarios, timeout=0.3)
    assert run.problems == ["step 1: no reply within 0.3 s"]
    row = scheduled.query('SELECT * FROM "testcall_results" WHERE "task_id" = ?', (task_id,)).iloc[0]
    assert not bool(row["answered"]) and not bool(row["passed"]) and row["fail_codes"] == "not_answered"
    assert "no reply within 0.3 s" in row["notes"]


def test_bot_that_answers_garbage(scheduled: Store, scenarios: dict[str, Scenario]) -> None:
    task_id = _chat_task(scheduled, "chat.delivery_status")
    with BotServer(mode="garbage") as server:
        run = run_task(scheduled, task_id, HttpJsonAdapter(server.url), scenarios=scenarios, timeout=5)
    assert run.problems == ["step 1: the reply is not JSON"]
    row = scheduled.query('SELECT * FROM "testcall_results" WHERE "task_id" = ?', (task_id,)).iloc[0]
    assert not bool(row["answered"]) and row["fail_codes"] == "not_answered"


def test_wrong_reply_field_and_endpoint_down(scenarios: dict[str, Scenario]) -> None:
    with BotServer() as server:
        run = play(HttpJsonAdapter(server.url, reply_field="answer"), scenarios["chat.refund_policy"], "t", timeout=5)
    assert run.problems == ["step 1: the reply has no text in 'answer'"]
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = HttpJsonAdapter(f"http://127.0.0.1:{port}/chat")
    with pytest.raises(AdapterError, match="cannot be reached"):
        down.send("s", "hi", 1)
    run = play(down, scenarios["chat.refund_policy"], "t", timeout=1)
    assert (
        not run.record.answered
        and run.problems
        and run.problems[0].startswith("step 1: the endpoint cannot be reached")
    )


def test_robot_refuses_phone_tasks_and_finds_due_tasks(scheduled: Store, scenarios: dict[str, Scenario]) -> None:
    phone = str(scheduled.scalar('SELECT min("task_id") FROM "testcall_tasks" WHERE "channel" = ?', ("phone",)))
    with pytest.raises(TestcallError, match="only tests online channels"):
        run_task(scheduled, phone, HttpJsonAdapter("http://127.0.0.1:1/chat"), scenarios=scenarios)
    due = due_robot_tasks(scheduled)
    robot = scheduled.query('SELECT "task_id" FROM "testcall_tasks" WHERE "tester_kind" = ?', ("robot",))
    assert sorted(due) == sorted(robot["task_id"]) and due  # all of January 2026 is in the past


def test_bot_command_serves_until_stopped() -> None:
    import os
    import signal
    import subprocess
    import sys
    import threading

    proc = subprocess.Popen(
        [sys.executable, "-m", "csqm.cli.main", "testcalls", "bot", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"},
    )
    watchdog = threading.Timer(30, proc.kill)  # never hang the suite if the bot does not start
    watchdog.start()
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.split("listening on ", 1)[1].split(" ")[0]
        request = urllib.request.Request(url, data=json.dumps({"message": "在哪里看物流"}).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert "订单详情" in json.loads(response.read())["reply"]
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=10)
        watchdog.cancel()
    assert code == 0
