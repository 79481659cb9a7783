"""The robot tester (T8): plays a scenario's script against a chat endpoint, measures response times,
checks the expected key points and wrong statements, and records the result through the same path as a
human tester (:func:`csqm.testcalls.records.record_result`, source ``robot``).

Adapters are pluggable: anything with ``start() -> session`` and ``send(session, message, timeout) -> reply``
(:class:`ChatAdapter`); :class:`HttpJsonAdapter` posts JSON to a URL. An adapter raises
:class:`AdapterError` when the endpoint times out or answers something unusable; the robot then records
the failure with its reason instead of crashing.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from csqm.errors import CsqmError
from csqm.store import Store
from csqm.testcalls.errors import TestcallError
from csqm.testcalls.model import ONLINE_CHANNELS, Scenario
from csqm.testcalls.plans import now_utc
from csqm.testcalls.records import RecordInput, record_result, rows_of
from csqm.testcalls.tables import ensure_tables


class AdapterError(CsqmError):
    """The chat endpoint did not answer usably (time-out, HTTP error, not JSON, no reply text)."""


class ChatAdapter(Protocol):
    def start(self) -> str: ...

    def send(self, session: str, message: str, timeout: float) -> str: ...


@dataclass
class HttpJsonAdapter:
    """POST ``{session_field: session, message_field: message}`` as JSON to ``url``; the reply is the
    string at ``reply_field`` of the JSON answer."""

    url: str
    message_field: str = "message"
    reply_field: str = "reply"
    session_field: str = "session"
    headers: Mapping[str, str] = field(default_factory=dict)

    def start(self) -> str:
        return uuid.uuid4().hex

    def send(self, session: str, message: str, timeout: float) -> str:
        body = json.dumps({self.session_field: session, self.message_field: message}, ensure_ascii=False).encode()
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Content-Type": "application/json", **self.headers}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
        except TimeoutError as exc:
            raise AdapterError(f"no reply within {timeout:g} s") from exc
        except urllib.error.HTTPError as exc:
            raise AdapterError(f"the endpoint answered HTTP {exc.code}") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise AdapterError(f"no reply within {timeout:g} s") from exc
            raise AdapterError(f"the endpoint cannot be reached ({type(exc.reason).__name__})") from exc
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise AdapterError(f"the endpoint cannot be used ({type(exc).__name__})") from exc
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise AdapterError("the reply is not JSON") from exc
        reply = data.get(self.reply_field) if isinstance(data, dict) else None
        if not isinstance(reply, str) or not reply.strip():
            raise AdapterError(f"the reply has no text in {self.reply_field!r}")
        return reply


@dataclass
class RobotRun:
    """What the robot observed, before it is recorded."""

    task_id: str
    replies: list[str]
    latencies: list[float]
    problems: list[str]
    record: RecordInput
    row: dict[str, Any] = field(default_factory=dict)


def _contains(text: str, needle: str) -> bool:
    return needle.lower() in text.lower()


def play(
    adapter: ChatAdapter, scenario: Scenario, task_id: str, *, timeout: float = 10.0, now: datetime | None = None
) -> RobotRun:
    """Play ``scenario`` against ``adapter`` and judge the replies (nothing is stored)."""
    started = now or now_utc()
    replies: list[str] = []
    latencies: list[float] = []
    problems: list[str] = []
    lines: list[str] = []
    try:
        session = adapter.start()
    except AdapterError as exc:
        session, problems = "", [f"could not open a session: {exc}"]
    for n, step in enumerate(scenario.steps if session else (), start=1):
        lines.append(f"客户: {step}")
        t0 = time.perf_counter()
        try:
            reply = adapter.send(session, step, timeout)
        except AdapterError as exc:
            problems.append(f"step {n}: {exc}")
            break
        latencies.append(time.perf_counter() - t0)
        replies.append(reply)
        lines.append(f"坐席: {' '.join(reply.splitlines())}")
    answered = bool(replies)
    text = "\n".join(replies)
    covered = [k.id for k in scenario.key_points if any(_contains(text, w) for w in k.keywords)] if answered else []
    wrong = [w for w in scenario.wrong if _contains(text, w)] if answered else []
    coverage = len(covered) / len(scenario.key_points)
    notes = [f"robot: {len(replies)} of {len(scenario.steps)} steps answered"]
    if latencies:
        notes.append("response times " + ", ".join(f"{s:.3f} s" for s in latencies))
    notes.extend(problems)
    if wrong:
        notes.append("wrong statements: " + ", ".join(wrong))
    record = RecordInput(
        task_id=task_id,
        executed_at=started,
        answered=answered,
        first_response_seconds=round(latencies[0], 3) if latencies else None,
        transcript="\n".join(lines) if answered else None,
        notes="; ".join(notes),
        key_points_covered=covered,
        resolved_on_spot=answered and not problems and coverage == 1.0 and not wrong,
        knowledge_errors=len(wrong),
        accuracy=round(1 + 4 * coverage, 1) if answered else None,
    )
    return RobotRun(task_id, replies, latencies, problems, record)


def run_task(
    store: Store,
    task_id: str,
    adapter: ChatAdapter,
    *,
    scenarios: Mapping[str, Scenario],
    timeout: float = 10.0,
    by: str = "robot",
    at: datetime | None = None,
) -> RobotRun:
    """Run one scheduled online task with the robot and record its result (``at``: the time to record it
    at, UTC naive; default now)."""
    ensure_tables(store)
    frame = store.query('SELECT * FROM "testcall_tasks" WHERE "task_id" = ?', (task_id,))
    if frame.empty:
        raise TestcallError(f"There is no test-call task {task_id!r}.")
    task = rows_of(frame)[0]
    if task["channel"] not in ONLINE_CHANNELS:
        raise TestcallError(f"The task {task_id} is a {task['channel']} test; the robot only tests online channels.")
    scenario = scenarios.get(str(task["scenario_id"]))
    if scenario is None:
        raise TestcallError(f"The scenario {task['scenario_id']!r} of task {task_id} is not in the library.")
    run = play(adapter, scenario, task_id, timeout=timeout, now=at)
    # the robot's times are UTC already
    run.row = record_result(store, run.record, scenarios=scenarios, by=by, source="robot", timezone="UTC")
    return run


def due_robot_tasks(store: Store, *, plan_id: str | None = None, until: datetime | None = None) -> list[str]:
    """Scheduled tasks of robot testers that are due (scheduled at or before ``until``, default now)."""
    ensure_tables(store)
    sql = 'SELECT "task_id" FROM "testcall_tasks" WHERE "tester_kind" = ? AND "status" = ? AND "scheduled_at" <= ?'
    params: list[Any] = ["robot", "scheduled", until or now_utc()]
    if plan_id:
        sql += ' AND "plan_id" = ?'
        params.append(plan_id)
    return [str(t) for t in store.query(sql + ' ORDER BY "scheduled_at", "task_id"', params)["task_id"]]
