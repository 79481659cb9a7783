"""Execution records (T4): what a tester (or the robot) records for one task, validated against the task
and its scenario, masked, inspected like a real conversation, judged against the standards and stored.

Transcripts are one turn per line, ``speaker: text`` with the speaker ``客户``/``customer``/``tester``
(the tester playing the customer) or ``坐席``/``客服``/``agent``/``bot``; a full-width colon works too.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from csqm.inspection import Packs, inspect_conversation, load_packs
from csqm.privacy import mask_free_text
from csqm.store import Store
from csqm.testcalls.errors import TestcallError, TestcallFileError
from csqm.testcalls.model import Plan, Scenario
from csqm.testcalls.plans import get_plan, now_utc
from csqm.testcalls.standards import evaluate
from csqm.testcalls.tables import TESTCALL_RESULTS, ensure_tables

Source = Literal["csv", "api", "form", "cli", "robot"]
_SPEAKERS = {
    "客户": "customer", "customer": "customer", "tester": "customer", "拨测员": "customer", "c": "customer",
    "坐席": "agent", "客服": "agent", "agent": "agent", "a": "agent", "bot": "agent", "机器人": "agent",
}  # fmt: skip
_LINE = re.compile(r"^\s*([^:：]{1,12})\s*[:：]\s*(.*)$")


class RecordInput(BaseModel):
    """What is recorded for one executed task (web form, API body, CSV row)."""

    model_config = ConfigDict(extra="forbid")

    task_id: str = Field(min_length=1, max_length=200)
    channel: str | None = Field(default=None, description="Optional; must match the task's channel when given.")
    executed_at: datetime | None = Field(
        default=None, description="When the test was made; naive = reporting zone. Default: now."
    )
    agent_id: str | None = Field(
        default=None, max_length=200, description="Agent who answered, when known (job number)."
    )
    answered: bool
    rings: int | None = Field(default=None, ge=0, le=100, description="Rings before answer (phone only).")
    first_response_seconds: float | None = Field(
        default=None, ge=0, le=7 * 86400, description="Seconds to first response."
    )
    transcript: str | None = Field(default=None, max_length=100_000)
    notes: str | None = Field(default=None, max_length=20_000)
    key_points_covered: list[str] = Field(default_factory=list, description="Ids of the scenario's key points covered.")
    resolved_on_spot: bool = False
    follow_up_promised: bool = False
    follow_up_deadline: datetime | None = None
    follow_up_resolved_at: datetime | None = None
    knowledge_errors: int = Field(default=0, ge=0, le=1000)
    attitude: float | None = Field(default=None, ge=1, le=5)
    clarity: float | None = Field(default=None, ge=1, le=5)
    accuracy: float | None = Field(default=None, ge=1, le=5)

    @field_validator("key_points_covered", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [p.strip() for p in re.split(r"[|,;，；\s]+", value) if p.strip()]
        return value


def parse_transcript(text: str) -> list[dict[str, Any]]:
    """Turns from ``speaker: text`` lines (blank lines skipped); a line without a known speaker is an error."""
    turns: list[dict[str, Any]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        speaker = _SPEAKERS.get(match.group(1).strip().lower()) if match else None
        if match is None or speaker is None:
            raise TestcallError(
                f"Transcript line {n} does not start with a speaker; begin each line with '客户:' or '坐席:' "
                "(customer: / agent:)."
            )
        turns.append(
            {
                "seq": len(turns) + 1,
                "speaker": speaker,
                "offset_seconds": float(len(turns) * 10),
                "text": match.group(2),
            }
        )
    return turns


def _mask(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    return mask_free_text(text)[0]


def to_utc(value: datetime | None, timezone: str) -> datetime | None:
    """Naive times are in the reporting zone; the result is UTC, naive."""
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(timezone))
    return aware.astimezone(UTC).replace(tzinfo=None)


@functools.lru_cache(maxsize=1)
def _packs() -> Packs:
    return load_packs()


def _task(store: Store, task_id: str) -> dict[str, Any]:
    frame = store.query('SELECT * FROM "testcall_tasks" WHERE "task_id" = ?', (task_id,))
    if frame.empty:
        raise TestcallError(f"There is no test-call task {task_id!r}.")
    return {str(k): v for k, v in frame.iloc[0].to_dict().items()}


def build_row(
    record: RecordInput,
    task: Mapping[str, Any],
    plan: Plan,
    scenario: Scenario,
    *,
    by: str,
    source: Source,
    timezone: str = "Asia/Shanghai",
    packs: Packs | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The ``testcall_results`` row for ``record``: checked against the task, masked, inspected, judged."""
    now = now or now_utc()
    problems: list[str] = []
    channel = str(task["channel"])
    if record.channel is not None and record.channel != channel:
        problems.append(f"channel: the task is a {channel} test, not {record.channel}")
    if record.rings is not None and channel != "phone":
        problems.append("rings: only phone tests have rings (use first_response_seconds)")
    known = [k.id for k in scenario.key_points]
    unknown = [k for k in record.key_points_covered if k not in known]
    if unknown:
        problems.append(f"key_points_covered: {', '.join(unknown)} not in the scenario ({', '.join(known)})")
    if record.follow_up_resolved_at is not None and not record.follow_up_promised:
        problems.append("follow_up_resolved_at: no follow-up was promised")
    turns: list[dict[str, Any]] = []
    if record.transcript:
        try:
            turns = parse_transcript(record.transcript)
        except TestcallError as exc:
            problems.append(f"transcript: {exc}")
    if problems:
        raise TestcallError(f"The record for task {record.task_id} is invalid: " + "; ".join(problems) + ".")
    executed = to_utc(record.executed_at, timezone) or now
    deadline = to_utc(record.follow_up_deadline, timezone)
    if record.follow_up_promised and deadline is None:
        deadline = executed + timedelta(days=plan.follow_up_days)
    covered = [k for k in known if k in set(record.key_points_covered)] if record.answered else []
    masked_turns = [{**t, "text": mask_free_text(t["text"])[0]} for t in turns]
    inspection: dict[str, Any] = {
        "inspection_score": None,
        "inspection_passed": None,
        "scorecard_id": None,
        "inspection_findings": None,
    }
    if masked_turns and record.answered:
        result = inspect_conversation(
            masked_turns,
            {"interaction_id": record.task_id, "channel": channel, "topic": scenario.id, "offered_at": executed},
            packs or _packs(),
        )
        inspection = {
            "inspection_score": result.score,
            "inspection_passed": result.passed,
            "scorecard_id": result.scorecard_id,
            "inspection_findings": ",".join(sorted({f.rule_id for f in result.findings})) or None,
        }
    row: dict[str, Any] = {
        "task_id": record.task_id,
        "plan_id": task["plan_id"],
        "month": task["month"],
        "kind": task["kind"],
        "tester_id": task["tester_id"],
        "team_id": task["team_id"],
        "agent_id": record.agent_id,
        "channel": channel,
        "scenario_id": scenario.id,
        "executed_at": executed,
        "answered": record.answered,
        "rings": record.rings,
        "first_response_seconds": record.first_response_seconds,
        "transcript": "\n".join(f"{t['speaker']}: {t['text']}" for t in masked_turns) or None,
        "notes": _mask(record.notes),
        "key_points_total": len(known),
        "key_points_covered": ",".join(covered),
        "key_points_missed": ",".join(k for k in known if k not in covered),
        "resolved_on_spot": record.resolved_on_spot and record.answered,
        "follow_up_promised": record.follow_up_promised,
        "follow_up_deadline": deadline,
        "follow_up_resolved_at": to_utc(record.follow_up_resolved_at, timezone),
        "knowledge_errors": record.knowledge_errors,
        "attitude": record.attitude if record.answered else None,
        "clarity": record.clarity if record.answered else None,
        "accuracy": record.accuracy if record.answered else None,
        **inspection,
        "source": source,
        "recorded_by": by,
        "recorded_at": now,
        "published_at": None,
    }
    verdict = evaluate(row, plan.standards, as_of=now)
    row.update(passed=verdict.passed, fail_codes=",".join(verdict.codes), fail_reasons="; ".join(verdict.reasons))
    return row


_COLUMNS = [c.name for c in TESTCALL_RESULTS.columns]


def _insert(store: Store, row: Mapping[str, Any]) -> None:
    marks = ", ".join("?" for _ in _COLUMNS)
    names = ", ".join(f'"{c}"' for c in _COLUMNS)
    store.execute(f'INSERT INTO "testcall_results" ({names}) VALUES ({marks})', [row[c] for c in _COLUMNS])
    store.execute('UPDATE "testcall_tasks" SET "status" = ? WHERE "task_id" = ?', ("done", row["task_id"]))


class _Context:
    """Plans and scenarios looked up once per call."""

    def __init__(self, store: Store, scenarios: Mapping[str, Scenario]) -> None:
        self.store = store
        self.scenarios = scenarios
        self.plans: dict[str, Plan] = {}

    def prepare(self, record: RecordInput) -> tuple[dict[str, Any], Plan, Scenario]:
        task = _task(self.store, record.task_id)
        if int(self.store.scalar('SELECT count(*) FROM "testcall_results" WHERE "task_id" = ?', (record.task_id,))):
            raise TestcallError(f"The task {record.task_id} already has a recorded result.")
        plan_id = str(task["plan_id"])
        if plan_id not in self.plans:
            self.plans[plan_id] = get_plan(self.store, plan_id)
        scenario = self.scenarios.get(str(task["scenario_id"]))
        if scenario is None:
            raise TestcallError(f"The scenario {task['scenario_id']!r} of task {record.task_id} is not in the library.")
        return task, self.plans[plan_id], scenario


def record_result(
    store: Store,
    record: RecordInput,
    *,
    scenarios: Mapping[str, Scenario],
    by: str,
    source: Source = "api",
    timezone: str = "Asia/Shanghai",
) -> dict[str, Any]:
    """Validate, judge and store one record; returns the stored row."""
    ensure_tables(store)
    ctx = _Context(store, scenarios)
    task, plan, scenario = ctx.prepare(record)
    row = build_row(record, task, plan, scenario, by=by, source=source, timezone=timezone)
    with store.transaction():
        _insert(store, row)
    return row


_BOOL = {
    "1": True,
    "0": False,
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "是": True,
    "否": False,
}
_BOOL_FIELDS = ("answered", "resolved_on_spot", "follow_up_promised")
_REQUIRED = ("task_id", "answered")


def _clean(raw: Mapping[str, str | None]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for key, value in raw.items():
        text = (value or "").strip()
        if not text:
            continue
        if key in _BOOL_FIELDS:
            if text.lower() not in _BOOL:
                problems.append((key, "write yes/no (or true/false, 1/0, 是/否)"))
                continue
            values[key] = _BOOL[text.lower()]
        else:
            values[key] = text
    return values, problems


def import_csv(
    store: Store,
    path: Path | str,
    *,
    scenarios: Mapping[str, Scenario],
    by: str,
    timezone: str = "Asia/Shanghai",
    text: str | None = None,
) -> int:
    """Import executed tests from a CSV (header: the :class:`RecordInput` fields). Every row is checked
    first; any error (named by row — the header is row 1 — and field) stores nothing. Returns the rows stored."""
    ensure_tables(store)
    name = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise TestcallError(f"{name} cannot be read as UTF-8 text ({type(exc).__name__}).") from exc
    reader = csv.DictReader(io.StringIO(text))
    fields = reader.fieldnames or []
    allowed = set(RecordInput.model_fields)
    problems: list[str] = []
    unknown = [f for f in fields if f not in allowed]
    missing = [f for f in _REQUIRED if f not in fields]
    if unknown:
        problems.append(f"row 1: unknown column(s) {', '.join(unknown)} (known: {', '.join(RecordInput.model_fields)})")
    if missing:
        problems.append(f"row 1: missing column(s) {', '.join(missing)}")
    if problems:
        raise TestcallFileError(name, problems)
    ctx = _Context(store, scenarios)
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    now = now_utc()
    for n, raw in enumerate(reader, start=2):
        if None in raw:
            problems.append(f"row {n}: more cells than columns")
            continue
        values, errs = _clean(raw)
        problems.extend(f"row {n}, field {f}: {m}" for f, m in errs)
        if errs:
            continue
        try:
            record = RecordInput.model_validate(values)
        except ValidationError as exc:
            problems.extend(f"row {n}, field {'.'.join(map(str, e['loc'])) or '?'}: {e['msg']}" for e in exc.errors())
            continue
        if record.task_id in seen:
            problems.append(f"row {n}, field task_id: {record.task_id} is also in row {seen[record.task_id]}")
            continue
        seen[record.task_id] = n
        try:
            task, plan, scenario = ctx.prepare(record)
            rows.append(build_row(record, task, plan, scenario, by=by, source="csv", timezone=timezone, now=now))
        except TestcallError as exc:
            hint = _field_hint(str(exc))
            problems.append(f"row {n}, {hint}" if hint.startswith("field ") else f"row {n}: {hint}")
    if problems:
        raise TestcallFileError(name, problems)
    if not rows:
        raise TestcallFileError(name, ["the file has no data rows"])
    with store.transaction():
        for row in rows:
            _insert(store, row)
    return len(rows)


def _field_hint(message: str) -> str:
    """'The record for task X is invalid: rings: …' → 'field rings: …' where a field is named."""
    head = "is invalid: "
    if head in message:
        return "field " + message.split(head, 1)[1]
    if "task" in message and "no test-call task" in message:
        return "field task_id: " + message
    return message


def update_follow_up(
    store: Store,
    task_id: str,
    *,
    resolved_at: datetime | None = None,
    timezone: str = "Asia/Shanghai",
) -> dict[str, Any]:
    """Close the follow-up of ``task_id`` (resolved at ``resolved_at``, default now) and re-judge the test."""
    ensure_tables(store)
    frame = store.query('SELECT * FROM "testcall_results" WHERE "task_id" = ?', (task_id,))
    if frame.empty:
        raise TestcallError(f"There is no recorded test {task_id!r}.")
    row = {str(k): _py(v) for k, v in frame.iloc[0].to_dict().items()}
    if not row["follow_up_promised"]:
        raise TestcallError(f"The test {task_id} has no follow-up to close.")
    if row["follow_up_resolved_at"] is not None:
        raise TestcallError(f"The follow-up of {task_id} is already closed.")
    row["follow_up_resolved_at"] = to_utc(resolved_at, timezone) or now_utc()
    verdict = evaluate(row, get_plan(store, str(row["plan_id"])).standards, as_of=now_utc())
    with store.transaction():
        store.execute(
            'UPDATE "testcall_results" SET "follow_up_resolved_at" = ?, "passed" = ?, "fail_codes" = ?, '
            '"fail_reasons" = ? '
            'WHERE "task_id" = ?',
            (
                row["follow_up_resolved_at"],
                verdict.passed,
                ",".join(verdict.codes),
                "; ".join(verdict.reasons),
                task_id,
            ),
        )
    row.update(passed=verdict.passed, fail_codes=",".join(verdict.codes), fail_reasons="; ".join(verdict.reasons))
    return row


def _py(value: Any) -> Any:
    """pandas scalars → plain Python (NaN/NaT → None, Timestamp → datetime)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "to_pydatetime"):
        try:
            return None if str(value) == "NaT" else value.to_pydatetime()
        except (ValueError, TypeError):
            return None
    if hasattr(value, "item"):
        return value.item()
    return value


def publish(store: Store, plan_id: str, *, month: str | None = None, at: datetime | None = None) -> int:
    """Make the plan's recorded results (of ``month`` only, when given) visible to the service department;
    returns how many were newly published."""
    ensure_tables(store)
    if not int(store.scalar('SELECT count(*) FROM "testcall_plans" WHERE "plan_id" = ?', (plan_id,))):
        raise TestcallError(f"There is no test-call plan {plan_id!r}.")
    sql = 'UPDATE "testcall_results" SET "published_at" = ? WHERE "plan_id" = ? AND "published_at" IS NULL'
    params: list[Any] = [at or now_utc(), plan_id]
    if month:
        sql += ' AND "month" = ?'
        params.append(month)
    with store.transaction():
        return store.execute(sql, params)


def rows_of(frame: Any) -> list[dict[str, Any]]:
    """DataFrame rows as plain-Python dicts."""
    return [{str(k): _py(v) for k, v in r.items()} for r in frame.to_dict("records")]


__all__: Sequence[str] = (
    "RecordInput",
    "build_row",
    "import_csv",
    "parse_transcript",
    "publish",
    "record_result",
    "rows_of",
    "update_follow_up",
)
