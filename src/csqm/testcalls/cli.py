"""``csqm testcalls``: test-call plans, scenarios, schedules, results and reports from the shell.

The CLI acts as the local operator (full access); the confidentiality rules apply to the web API.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from csqm.cli.context import AppContext, pass_app
from csqm.cli.progress import console
from csqm.testcalls.bot import BotServer
from csqm.testcalls.loading import load_faq, load_plans, load_scenarios
from csqm.testcalls.model import Scenario
from csqm.testcalls.plans import list_plans, now_utc, save_plans, schedule
from csqm.testcalls.records import RecordInput, import_csv, publish, record_result, rows_of, update_follow_up
from csqm.testcalls.reports import DIMENSIONS, build_report, export
from csqm.testcalls.robot import HttpJsonAdapter, due_robot_tasks, run_task
from csqm.testcalls.service import followups as list_followups
from csqm.testcalls.service import standards_for
from csqm.testcalls.tables import ensure_tables

#: Local times (the reporting zone) as people type them.
_WHEN = click.DateTime(["%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"])
_LIBRARY = click.option(
    "--library",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    envvar="CSQM_TESTCALL_SCENARIOS",
    help="Extra scenario file or folder; a scenario with a shipped id replaces it. Repeatable.",
)


def _scenarios(library: tuple[Path, ...]) -> dict[str, Scenario]:
    return load_scenarios(list(library))


def _counts(title: str, counter: Counter[str]) -> Table:
    table = Table(title=title)
    table.add_column("value")
    table.add_column("tasks", justify="right")
    for key, n in sorted(counter.items()):
        table.add_row(key, str(n))
    return table


@click.group("testcalls")
def testcalls() -> None:
    """Test-call (拨测) programmes: plans, scenarios, scheduling, results, reports."""


@testcalls.command("scenarios")
@_LIBRARY
@click.option("--channel", help="Only scenarios of this channel.")
def scenarios_command(library: tuple[Path, ...], channel: str | None) -> None:
    """List (and validate) the scenario library: the shipped one plus --library files."""
    table = Table(title="Test-call scenarios")
    for col in ("id", "name", "channel", "kind", "mood", "risk", "key points"):
        table.add_column(col, overflow="fold", no_wrap=col == "id")  # ids are copied into other commands
    for s in _scenarios(library).values():
        if channel and s.channel != channel:
            continue
        points = ", ".join(k.id for k in s.key_points)
        table.add_row(s.id, f"{s.name_zh}\n{s.name_en}", s.channel, s.kind, s.mood, s.risk, points)
    console.print(table)


@testcalls.command("plan")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_LIBRARY
@click.option("--check", is_flag=True, help="Only validate the file; store nothing.")
@pass_app
def plan_command(app: AppContext, file: Path | None, library: tuple[Path, ...], check: bool) -> None:
    """Validate and store the quarterly plans in FILE (YAML); without FILE, list the stored plans.

    Every problem of the file is reported at once with its line.
    """
    if file is not None:
        plans = load_plans(file, _scenarios(library))
        if check:
            console.print(f"{file}: {len(plans)} plan(s) valid: {', '.join(p.id for p in plans)}.")
            return
        ids = save_plans(app.store(), plans, source=str(file), by=os.environ.get("USER", "cli"))
        console.print(f"Stored plan(s) {', '.join(ids)}.")
        return
    frame = list_plans(app.store())
    table = Table(title="Test-call plans")
    for col in frame.columns:
        table.add_column(str(col), overflow="fold", no_wrap=str(col).endswith("id"))
    for row in frame.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    console.print(table)


@testcalls.command("schedule")
@click.argument("plan_id")
@click.argument("month")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same schedule.")
@click.option("--replace", is_flag=True, help="Redo a month already scheduled (only while nothing was executed).")
@_LIBRARY
@pass_app
def schedule_command(
    app: AppContext, plan_id: str, month: str, seed: int, replace: bool, library: tuple[Path, ...]
) -> None:
    """Schedule MONTH (YYYY-MM) of PLAN_ID: the monthly quota spread exactly over teams, channels and times
    of day, plus unannounced spot checks, assigned to testers with balanced loads."""
    tasks = schedule(
        app.store(), plan_id, month, seed=seed, scenarios=_scenarios(library),
        timezone=app.settings.timezone, replace=replace,
    )  # fmt: skip
    spot = sum(1 for t in tasks if t.kind == "spot_check")
    console.print(
        f"Scheduled {len(tasks)} tasks for {month} of {plan_id} ({spot} unannounced spot checks), seed {seed}."
    )
    quota = [t for t in tasks if t.kind == "quota"]
    console.print(_counts("Quota per team · channel", Counter(f"{t.team_id} · {t.channel}" for t in quota)))
    console.print(_counts("Quota per time of day", Counter(t.time_slot for t in quota)))
    console.print(_counts("All tasks per tester", Counter(t.tester_id for t in tasks)))


@testcalls.command("tasks")
@click.option("--plan", "plan_id", help="Only this plan.")
@click.option("--tester", help="Only this tester's tasks.")
@click.option("--month", help="Only this month (YYYY-MM).")
@pass_app
def tasks_command(app: AppContext, plan_id: str | None, tester: str | None, month: str | None) -> None:
    """List scheduled tasks (confidential: never share with the service department)."""
    store = app.store()
    ensure_tables(store)
    where, params = "1 = 1", []
    for col, value in (("plan_id", plan_id), ("tester_id", tester), ("month", month)):
        if value:
            where += f' AND "{col}" = ?'
            params.append(value)
    frame = store.query(
        'SELECT "task_id", "kind", "team_id", "channel", "scenario_id", "time_slot", "scheduled_at", "tester_id", '
        '"status" '
        f'FROM "testcall_tasks" WHERE {where} ORDER BY "scheduled_at", "task_id"',
        params,
    )
    table = Table(title=f"Test-call tasks ({len(frame)})")
    for col in frame.columns:
        table.add_column(str(col), overflow="fold", no_wrap=str(col).endswith("id"))
    for row in frame.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    console.print(table)


@testcalls.command("record")
@click.argument("task_id")
@click.option("--answered/--not-answered", required=True, help="Was the test answered at all?")
@click.option("--executed-at", type=_WHEN, help="When (reporting zone); default now.")
@click.option("--agent", "agent_id", help="Agent who answered (job number), when known.")
@click.option("--rings", type=int, help="Rings before answer (phone).")
@click.option("--first-response", "first_response_seconds", type=float, help="Seconds to first response (online).")
@click.option(
    "--transcript", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="File: 'speaker: text' lines."
)
@click.option("--notes", help="Tester's notes (masked before storage).")
@click.option("--key-points", default="", help="Ids of the key points covered, comma-separated.")
@click.option("--resolved/--not-resolved", default=False, help="Resolved on the spot.")
@click.option("--follow-up-deadline", type=_WHEN, help="A follow-up was promised by this time.")
@click.option("--knowledge-errors", type=int, default=0, show_default=True)
@click.option("--attitude", type=click.FloatRange(1, 5))
@click.option("--clarity", type=click.FloatRange(1, 5))
@click.option("--accuracy", type=click.FloatRange(1, 5))
@_LIBRARY
@pass_app
def record_command(app: AppContext, /, task_id: str, library: tuple[Path, ...], **values: Any) -> None:
    """Record the result of an executed task; prints its verdict against the standards."""
    transcript = values.pop("transcript")
    deadline = values.pop("follow_up_deadline")
    data = RecordInput(
        task_id=task_id,
        transcript=transcript.read_text(encoding="utf-8") if transcript else None,
        key_points_covered=values.pop("key_points"),
        resolved_on_spot=values.pop("resolved"),
        follow_up_promised=deadline is not None,
        follow_up_deadline=deadline,
        **values,
    )
    row = record_result(
        app.store(), data, scenarios=_scenarios(library), by=os.environ.get("USER", "cli"), source="cli",
        timezone=app.settings.timezone,
    )  # fmt: skip
    _verdict(row)


def _verdict(row: dict[str, Any]) -> None:
    if row["passed"]:
        console.print(f"{row['task_id']}: [green]passed[/green] every standard.")
    else:
        console.print(f"{row['task_id']}: [red]failed[/red]: {row['fail_reasons']}")
    if row.get("inspection_score") is not None:
        console.print(f"Inspection: score {row['inspection_score']:.1f} on {row['scorecard_id']}.")


@testcalls.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_LIBRARY
@pass_app
def import_command(app: AppContext, file: Path, library: tuple[Path, ...]) -> None:
    """Import executed tests from a CSV (columns: the record fields, see docs/testcalls.md). All or nothing:
    any bad row or field is reported and nothing is stored."""
    n = import_csv(
        app.store(),
        file,
        scenarios=_scenarios(library),
        by=os.environ.get("USER", "cli"),
        timezone=app.settings.timezone,
    )
    console.print(f"Imported {n} test results from {file}.")


@testcalls.command("followups")
@click.option("--all", "include_closed", is_flag=True, help="Also resolved and late follow-ups.")
@click.option("--close", "close_task", help="Close the follow-up of this task.")
@click.option("--resolved-at", type=_WHEN, help="With --close: when it was resolved (default now).")
@pass_app
def followups_command(
    app: AppContext, include_closed: bool, close_task: str | None, resolved_at: datetime | None
) -> None:
    """Promised follow-ups, tracked until closed or overdue."""
    store = app.store()
    if close_task:
        row = update_follow_up(store, close_task, resolved_at=resolved_at, timezone=app.settings.timezone)
        _verdict(row)
        return
    rows = list_followups(store, include_closed=include_closed)
    table = Table(title=f"Follow-ups ({len(rows)})")
    for col in ("task_id", "team_id", "agent_id", "scenario_id", "deadline (UTC)", "resolved (UTC)", "state"):
        table.add_column(col, overflow="fold", no_wrap=col.endswith("id") or col == "state")
    colours = {"overdue": "red", "open": "yellow", "late": "red", "resolved": "green"}
    for r in rows:
        state = str(r["state"])
        table.add_row(
            str(r["task_id"]), str(r["team_id"]), str(r["agent_id"] or "-"), str(r["scenario_id"]),
            str(r["follow_up_deadline"]), str(r["follow_up_resolved_at"] or "-"), f"[{colours[state]}]{state}[/]",
        )  # fmt: skip
    console.print(table)


@testcalls.command("publish")
@click.argument("plan_id")
@click.option("--month", help="Only this month (YYYY-MM).")
@pass_app
def publish_command(app: AppContext, plan_id: str, month: str | None) -> None:
    """Publish the plan's results to the service department (quality managers; team leads and agents see
    their own). Until then results are confidential."""
    n = publish(app.store(), plan_id, month=month)
    console.print(f"Published {n} results of {plan_id}{' for ' + month if month else ''}.")


@testcalls.command("report")
@click.option("--plan", "plan_id", help="Only this plan (and its standards; default: the documented defaults).")
@click.option("--month", help="Only this month (YYYY-MM).")
@click.option("--team", "team_id", help="Only this team.")
@click.option("--by", type=click.Choice(list(DIMENSIONS)), help="Group by this dimension.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Export to .csv, .xlsx or .json.")
@pass_app
def report_command(
    app: AppContext, plan_id: str | None, month: str | None, team_id: str | None, by: str | None, output: Path | None
) -> None:
    """Mean, standard deviation, percentages against the standards, trend, correlation, weak links and
    common problems of the executed tests."""
    store = app.store()
    ensure_tables(store)
    where, params = "1 = 1", []
    for col, value in (("plan_id", plan_id), ("month", month), ("team_id", team_id)):
        if value:
            where += f' AND "{col}" = ?'
            params.append(value)
    rows = rows_of(store.query(f'SELECT * FROM "testcall_results" WHERE {where}', params))
    report = build_report(rows, standards_for(store, plan_id), by=by, as_of=now_utc())
    if output is not None:
        export(report, output)
        console.print(f"Wrote {output}.")
        return
    frame = report.groups_frame()
    show = [c for c in frame.columns if c.endswith("_pct") or c in (by or "all", "tests", "rating_mean", "rating_std")]
    table = Table(title=f"Test-call report ({len(rows)} tests)")
    for col in show:
        table.add_column(str(col).removesuffix("_pct") + (" %" if str(col).endswith("_pct") else ""), overflow="fold")
    for rec in frame[show].to_dict("records"):
        table.add_row(
            *("-" if v is None or v != v else f"{v:.1f}" if isinstance(v, float) else str(v) for v in rec.values())
        )
    console.print(table)
    for w in report.weak_links[:10]:
        console.print(f"Weak link {w['dimension']} {w['group']}: " + " ".join(w["reasons"]))
    for p in report.common_problems[:5]:
        console.print(f"Common problem {p['code']}: {p['tests']} tests ({p['share_pct']:.0f}%).")
    for c in report.correlations:
        r = "-" if c["r"] is None else f"{c['r']:.2f}"
        console.print(f"Correlation {c['x']} ~ {c['y']}: r = {r} (n = {c['n']}).")


@testcalls.command("robot")
@click.option("--url", required=True, help="Chat endpoint taking POST JSON {session, message}, answering {reply}.")
@click.option("--task", "task_ids", multiple=True, help="Run this online task. Repeatable.")
@click.option("--due", is_flag=True, help="Run every scheduled robot task that is due.")
@click.option("--plan", "plan_id", help="With --due: only this plan.")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds to wait for each reply.")
@click.option("--reply-field", default="reply", show_default=True)
@click.option("--message-field", default="message", show_default=True)
@_LIBRARY
@pass_app
def robot_command(
    app: AppContext, url: str, task_ids: tuple[str, ...], due: bool, plan_id: str | None, timeout: float,
    reply_field: str, message_field: str, library: tuple[Path, ...],
) -> None:  # fmt: skip
    """Play online tasks' scripts against a chat endpoint and record the results like a human tester."""
    store = app.store()
    ids = list(task_ids) + (due_robot_tasks(store, plan_id=plan_id) if due else [])
    if not ids:
        raise click.UsageError("Name tasks with --task or use --due.")
    adapter = HttpJsonAdapter(url, message_field=message_field, reply_field=reply_field)
    scenarios = _scenarios(library)
    for task_id in ids:
        run = run_task(store, task_id, adapter, scenarios=scenarios, timeout=timeout)
        _verdict(run.row)


@testcalls.command("bot")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8765, show_default=True, help="0: any free port.")
@click.option(
    "--faq", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="FAQ YAML (default: shipped)."
)
@click.option("--delay", type=float, default=0.0, help="Seconds to wait before each answer (to test time-outs).")
@click.option("--garbage", is_flag=True, help="Answer something that is not JSON (to test a broken endpoint).")
def bot_command(host: str, port: int, faq: Path | None, delay: float, garbage: bool) -> None:
    """Run the small FAQ chat bot (POST /chat {session, message} → {reply}) until Ctrl-C."""
    server = BotServer(load_faq(faq), host=host, port=port, delay=delay, mode="garbage" if garbage else "normal")
    with server:
        click.echo(f"FAQ bot listening on {server.url} (Ctrl-C to stop).")  # flushed: scripts wait for it
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            click.echo("Stopped.")
