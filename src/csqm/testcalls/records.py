"""Execution records (T4): what a tester (or the robot) records for one task, validated against the task
and its scenario, masked, inspected like a real conversation, judged against the standards and stored.

Transcripts are one turn per line, ``speaker: text`` with the speaker ``客户``/``customer``/``tester``
(the tester playing the customer) or ``坐席``/``客服``/``agent``/``bot``; a full-width colon works too.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from csqm.inspection import Inspector, load_packs
from csqm.inspection.batch import Batch
from csqm.privacy import mask_free_text
from csqm.store import Store
from csqm.store.rows import plain, records
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
def _inspector() -> Inspector:
    """The shipped packs compiled once (compiling per record would dominate the cost)."""
    return Inspector(load_packs())


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
    now: datetime | None = None,
    inspect: bool = True,
) -> dict[str, Any]:
    """The ``testcall_results`` row for ``record``: checked against the task, masked, inspected, judged.

    ``inspect=False`` leaves the inspection and the verdict to :func:`inspect_and_judge` (many rows in one
    batch, as the CSV import does)."""
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
    inspection = dict.fromkeys(("inspection_score", "inspection_passed", "scorecard_id", "inspection_findings"))
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
    row["_turns"] = masked_turns if record.answered else []
    if inspect:
        inspect_and_judge([row], {plan.id: plan}, now=now)
    return row


def inspect_and_judge(rows: Sequence[dict[str, Any]], plans: Mapping[str, Plan], *, now: datetime) -> None:
    """Inspect the masked transcripts of ``rows`` in one batch (the same engine and scorecards as real
    conversations) and judge each row against its plan's standards, in place."""
    todo = [r for r in rows if r.get("_turns")]
    if todo:
        inter = pd.DataFrame(
            {
                "interaction_id": [r["task_id"] for r in todo],
                "channel": [r["channel"] for r in todo],
                "topic": [r["scenario_id"] for r in todo],
                "language": [None] * len(todo),
                "hold_seconds": [None] * len(todo),
            }
        )
        turns = [(r["task_id"], t) for r in todo for t in r["_turns"]]
        utt = pd.DataFrame(
            {
                "interaction_id": [i for i, _ in turns],
                "seq": [t["seq"] for _, t in turns],
                "speaker": [t["speaker"] for _, t in turns],
                "offset_seconds": [t["offset_seconds"] for _, t in turns],
                "text": [t["text"] for _, t in turns],
            }
        )
        result = _inspector().run(Batch.from_frames(inter, utt))
        for i, row in enumerate(todo):
            found = result.conversation(i)
            row.update(
                inspection_score=found.score,
                inspection_passed=found.passed,
                scorecard_id=found.scorecard_id,
                inspection_findings=",".join(sorted({f.rule_id for f in found.findings})) or None,
            )
    for row in rows:
        row.pop("_turns", None)
        verdict = evaluate(row, plans[str(row["plan_id"])].standards, as_of=now)
        row.update(passed=verdict.passed, fail_codes=",".join(verdict.codes), fail_reasons="; ".join(verdict.reasons))


_COLUMNS = [c.name for c in TESTCALL_RESULTS.columns]


_ARROW = {"text": "string", "int": "int64", "float": "float64", "bool": "bool", "timestamp": "timestamp[us]"}
_CHUNK = 500


def _insert(store: Store, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert result rows (one Arrow load) and mark their tasks done; call inside a transaction."""
    import pyarrow as pa

    schema = pa.schema([(c.name, pa.type_for_alias(_ARROW[c.type])) for c in TESTCALL_RESULTS.columns])
    store.load_arrow("testcall_results", pa.table({c: [r[c] for r in rows] for c in _COLUMNS}, schema=schema))
    ids = [str(r["task_id"]) for r in rows]
    for i in range(0, len(ids), _CHUNK):
        part = ids[i : i + _CHUNK]
        marks = ", ".join("?" for _ in part)
        store.execute(f'UPDATE "testcall_tasks" SET "status" = ? WHERE "task_id" IN ({marks})', ["done", *part])


class _Context:
    """Tasks, plans and scenarios looked up once per call (tasks in bulk with :meth:`preload`)."""

    def __init__(self, store: Store, scenarios: Mapping[str, Scenario]) -> None:
        self.store = store
        self.scenarios = scenarios
        self.plans: dict[str, Plan] = {}
        self.tasks: dict[str, dict[str, Any]] | None = None
        self.done: set[str] = set()

    def preload(self, task_ids: Sequence[str]) -> None:
        """Fetch these tasks and which of them already have results, a few queries in all."""
        self.tasks = {}
        unique = sorted(set(task_ids))
        for i in range(0, len(unique), _CHUNK):
            part = unique[i : i + _CHUNK]
            marks = ", ".join("?" for _ in part)
            frame = self.store.query(f'SELECT * FROM "testcall_tasks" WHERE "task_id" IN ({marks})', part)
            self.tasks.update({str(r["task_id"]): r for r in rows_of(frame)})
            done = self.store.query(f'SELECT "task_id" FROM "testcall_results" WHERE "task_id" IN ({marks})', part)
            self.done.update(str(t) for t in done["task_id"])

    def prepare(self, record: RecordInput) -> tuple[dict[str, Any], Plan, Scenario]:
        if self.tasks is None:
            task = _task(self.store, record.task_id)
            done = bool(
                int(self.store.scalar('SELECT count(*) FROM "testcall_results" WHERE "task_id" = ?', (record.task_id,)))
            )
        else:
            if record.task_id not in self.tasks:
                raise TestcallError(f"There is no test-call task {record.task_id!r}.")
            task, done = self.tasks[record.task_id], record.task_id in self.done
        if done:
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
        _insert(store, [row])
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
    raw_rows = list(reader)
    ctx = _Context(store, scenarios)
    ctx.preload([str(r.get("task_id") or "").strip() for r in raw_rows])
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    now = now_utc()
    for n, raw in enumerate(raw_rows, start=2):
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
            rows.append(
                build_row(record, task, plan, scenario, by=by, source="csv", timezone=timezone, now=now, inspect=False)
            )
        except TestcallError as exc:
            hint = _field_hint(str(exc))
            problems.append(f"row {n}, {hint}" if hint.startswith("field ") else f"row {n}: {hint}")
    if problems:
        raise TestcallFileError(name, problems)
    if not rows:
        raise TestcallFileError(name, ["the file has no data rows"])
    inspect_and_judge(rows, ctx.plans, now=now)
    with store.transaction():
        _insert(store, rows)
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
    row = {str(k): plain(v) for k, v in frame.iloc[0].to_dict().items()}
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


def refresh_overdue(store: Store, *, as_of: datetime | None = None) -> int:
    """Re-judge the stored verdict of tests whose promised follow-up is now overdue (it was judged while
    still open), so ``passed`` / ``fail_codes`` say ``follow_up_late``; returns how many changed."""
    ensure_tables(store)
    now = as_of or now_utc()
    frame = store.query(
        'SELECT * FROM "testcall_results" WHERE "follow_up_promised" AND "follow_up_resolved_at" IS NULL '
        'AND "follow_up_deadline" < ? AND ("fail_codes" IS NULL OR "fail_codes" NOT LIKE ?)',
        (now, "%follow_up_late%"),
    )
    plans: dict[str, Plan] = {}
    changed = 0
    with store.transaction():
        for row in rows_of(frame):
            plan_id = str(row["plan_id"])
            plans.setdefault(plan_id, get_plan(store, plan_id))
            verdict = evaluate(row, plans[plan_id].standards, as_of=now)
            store.execute(
                'UPDATE "testcall_results" SET "passed" = ?, "fail_codes" = ?, "fail_reasons" = ? WHERE "task_id" = ?',
                (verdict.passed, ",".join(verdict.codes), "; ".join(verdict.reasons), row["task_id"]),
            )
            changed += 1
    return changed


def publish(store: Store, plan_id: str, *, month: str | None = None, at: datetime | None = None) -> int:
    """Make the plan's recorded results (of ``month`` only, when given) visible to the service department;
    returns how many were newly published. Overdue follow-ups are judged first (:func:`refresh_overdue`)."""
    ensure_tables(store)
    refresh_overdue(store)
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
    return records(frame)


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
