"""``csqm actions``: findings, improvement actions and their verification, training."""

from __future__ import annotations

import getpass
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import click
from pydantic import BaseModel
from rich.table import Table

from csqm.cli.context import AppContext, pass_app
from csqm.cli.progress import console
from csqm.improvement import actions as act
from csqm.improvement import findings as fnd
from csqm.improvement.models import Action
from csqm.improvement.records import ImprovementError
from csqm.improvement.tables import ACTION_STATUSES, FINDING_SOURCES, FINDING_STATUSES
from csqm.improvement.training import training_needs
from csqm.improvement.verify import local_today
from csqm.metrics import load_catalogue, user_dir_from_env

_DATE = click.DateTime(formats=["%Y-%m-%d"])
_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format."
)
_BY = click.option(
    "--by", "username", default=None, help="Who is making the change (recorded in the log; default: your login)."
)


def _user(username: str | None) -> str:
    if username:
        return username
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _day(value: Any) -> date | None:
    return None if value is None else value.date()


def _scope(text: str | None) -> tuple[str | None, str | None]:
    """``team=T05`` → (team, T05); ``all`` → (all, None)."""
    if text is None:
        return None, None
    if text.strip() == "all":
        return "all", None
    kind, sep, value = text.partition("=")
    if not sep or not kind.strip() or not value.strip():
        raise click.BadParameter(f"{text!r}: write the scope as DIMENSION=VALUE (e.g. team=T05) or all.")
    return kind.strip(), value.strip()


def _emit(items: Sequence[BaseModel] | BaseModel, fmt: str, table: Table | None = None) -> None:
    if fmt == "json":
        many = isinstance(items, Sequence)
        data = [i.model_dump(mode="json") for i in items] if many else items.model_dump(mode="json")  # type: ignore[union-attr]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif table is not None:
        console.print(table)


def _findings_table(items: Sequence[Any]) -> Table:
    table = Table(title=f"{len(items)} finding(s)")
    for col in ("id", "source", "scope", "status", "what"):
        table.add_column(col)
    for f in items:
        scope = f.scope_kind if f.scope_value is None else f"{f.scope_kind}={f.scope_value}"
        table.add_row(f.finding_id, f.source, scope, f.status, f.title)
    return table


def _actions_table(items: Sequence[Action], title: str) -> Table:
    table = Table(title=f"{len(items)} {title}")
    for col in ("id", "kind", "status", "due", "owner", "metric", "scope", "title"):
        table.add_column(col)
    for a in items:
        scope = a.scope_kind or ""
        if a.scope_value is not None:
            scope += f"={a.scope_value}"
        due = "" if a.due_on is None else str(a.due_on) + (" OVERDUE" if a.overdue else "")
        table.add_row(a.action_id, a.kind, a.status, due, a.owner or "", a.metric or "", scope, a.title)
    return table


@click.group("actions")
def actions() -> None:
    """The improvement loop (闭环): findings, actions, verification, training.

    \b
    csqm actions findings --detect            find problems in inspection, KPIs and test calls
    csqm actions add "Coach T05 on phrasing" --finding F00003 --owner 王芳 --due 2026-03-01 --effective 2026-02-16
    csqm actions update A00001 --status in_progress --note "Two coaching sessions held"
    csqm actions overdue                      open actions past their due date
    csqm actions verify A00001                did the metric move? improved / no change / worse
    csqm actions training needs               who needs training on what
    """


@actions.command("findings")
@click.option("--detect", is_flag=True, help="Detect new findings first (each is stored once).")
@click.option(
    "--source", "sources", multiple=True, type=click.Choice(list(fnd.SOURCES)), help="Sources to detect from (all)."
)
@click.option("--from", "start", type=_DATE, help="First local day of the detection period (default: 28 days).")
@click.option("--to", "end", type=_DATE, help="Last local day (default: the newest data).")
@click.option("--status", type=click.Choice(FINDING_STATUSES), help="Only findings with this status.")
@click.option("--only-source", type=click.Choice(FINDING_SOURCES), help="Only findings from this source.")
@click.option("--team", help="Only findings about this team.")
@click.option("--add", "add_title", metavar="TITLE", help="Record a finding by hand with this title.")
@click.option("--scope", help="Scope of a finding added by hand: DIMENSION=VALUE or all.")
@click.option("--metric", help="Metric of a finding added by hand.")
@click.option("--close", "close_id", metavar="ID", help="Close the finding ID.")
@click.option("--dismiss", "dismiss_id", metavar="ID", help="Dismiss the finding ID (not a real problem).")
@_BY
@_FORMAT
@pass_app
def findings_cmd(
    app: AppContext,
    detect: bool,
    sources: tuple[str, ...],
    start: Any,
    end: Any,
    status: str | None,
    only_source: str | None,
    team: str | None,
    add_title: str | None,
    scope: str | None,
    metric: str | None,
    close_id: str | None,
    dismiss_id: str | None,
    username: str | None,
    fmt: str,
) -> None:
    """List findings; detect new ones (--detect), record one by hand (--add) or close/dismiss one."""
    store = app.store()
    user = _user(username)
    if close_id or dismiss_id:
        fid = close_id or dismiss_id
        assert fid is not None
        done = fnd.set_finding_status(store, fid, "closed" if close_id else "dismissed", username=user)
        _emit([done], fmt, _findings_table([done]))
        return
    if add_title:
        kind, value = _scope(scope)
        added = fnd.add_finding(
            store, username=user, title=add_title, scope_kind=kind or "all", scope_value=value, metric=metric
        )
        _emit([added], fmt, _findings_table([added]))
        return
    if detect:
        with console.status("Detecting findings (inspection, KPIs, test calls) …"):
            new, skipped = fnd.detect(
                store, sources=sources or fnd.SOURCES, start=_day(start), end=_day(end), username=user
            )
        console.print(f"{len(new)} new finding(s); {skipped} already recorded.")
    items = fnd.list_findings(store, status=status, source=only_source, team_id=team)
    _emit(items, fmt, _findings_table(items))


@actions.command("add")
@click.argument("title")
@click.option("--finding", "finding_id", help="Finding it answers (metric, scope and team default to the finding's).")
@click.option("--root-cause", help="Root-cause note.")
@click.option("--department", help="Responsible department.")
@click.option("--owner", help="Responsible person.")
@click.option("--metric", help="Catalogue metric the action should move (see csqm metrics --list).")
@click.option("--scope", help="Where it should move it: DIMENSION=VALUE (team=T05, agent=A2003 …) or all.")
@click.option("--effective", type=_DATE, help="First day the change is in force (start of the after window).")
@click.option("--window", "window_days", type=click.IntRange(3, 366), default=28, show_default=True,
              help="Days compared before and after the effective day.")  # fmt: skip
@click.option("--due", type=_DATE, help="Deadline.")
@_BY
@_FORMAT
@pass_app
def add_cmd(
    app: AppContext,
    title: str,
    finding_id: str | None,
    root_cause: str | None,
    department: str | None,
    owner: str | None,
    metric: str | None,
    scope: str | None,
    effective: Any,
    window_days: int,
    due: Any,
    username: str | None,
    fmt: str,
) -> None:
    """Record an improvement action with its root cause, owner, deadline and the metric it should move."""
    kind, value = _scope(scope)
    created = act.create_action(
        app.store(),
        username=_user(username),
        title=title,
        finding_id=finding_id,
        root_cause=root_cause,
        department=department,
        owner=owner,
        metric=metric,
        scope_kind=kind,
        scope_value=value,
        effective_on=_day(effective),
        window_days=window_days,
        due_on=_day(due),
    )
    _emit([created], fmt, _actions_table([created], "action recorded"))


@actions.command("update")
@click.argument("action_id")
@click.option("--status", type=click.Choice(ACTION_STATUSES), help="New status.")
@click.option("--note", help="Progress note appended to the log.")
@click.option("--title", help="New title.")
@click.option("--root-cause", help="New root-cause note.")
@click.option("--department", help="New responsible department.")
@click.option("--owner", help="New responsible person.")
@click.option("--metric", help="New metric.")
@click.option("--scope", help="New scope DIMENSION=VALUE or all.")
@click.option("--effective", type=_DATE, help="New effective day.")
@click.option("--window", "window_days", type=click.IntRange(3, 366), help="New window in days.")
@click.option("--due", type=_DATE, help="New deadline.")
@_BY
@_FORMAT
@pass_app
def update_cmd(
    app: AppContext,
    action_id: str,
    status: str | None,
    note: str | None,
    title: str | None,
    root_cause: str | None,
    department: str | None,
    owner: str | None,
    metric: str | None,
    scope: str | None,
    effective: Any,
    window_days: int | None,
    due: Any,
    username: str | None,
    fmt: str,
) -> None:
    """Change an action (every change is logged with who, when, old and new value) or add progress."""
    changes: dict[str, Any] = {
        k: v
        for k, v in (
            ("status", status), ("title", title), ("root_cause", root_cause), ("department", department),
            ("owner", owner), ("metric", metric), ("effective_on", _day(effective)), ("window_days", window_days),
            ("due_on", _day(due)),
        )
        if v is not None
    }  # fmt: skip
    if scope is not None:
        changes["scope_kind"], changes["scope_value"] = _scope(scope)
    if not changes and not note:
        raise click.UsageError("Nothing to change: give --status, --note or a field to change.")
    updated = act.update_action(app.store(), action_id, username=_user(username), changes=changes, note=note)
    _emit([updated], fmt, _actions_table([updated], "action updated"))


@actions.command("list")
@click.option("--kind", type=click.Choice(["action", "training", "all"]), default="action", show_default=True)
@click.option("--status", type=click.Choice(ACTION_STATUSES), help="Only this status.")
@click.option("--team", help="Only this team.")
@click.option("--finding", "finding_id", help="Only actions answering this finding.")
@_FORMAT
@pass_app
def list_cmd(
    app: AppContext, kind: str, status: str | None, team: str | None, finding_id: str | None, fmt: str
) -> None:
    """Actions (or training records), newest first."""
    store = app.store()
    today = local_today(load_catalogue(user_dir_from_env()).reporting_timezone)
    items = act.list_actions(
        store, kind=None if kind == "all" else kind, status=status, team_id=team, finding_id=finding_id, today=today
    )
    _emit(items, fmt, _actions_table(items, "action(s)"))


@actions.command("show")
@click.argument("action_id")
@_FORMAT
@pass_app
def show_cmd(app: AppContext, action_id: str, fmt: str) -> None:
    """One action with its change log and verifications."""
    detail = act.detail(app.store(), action_id)
    if fmt == "json":
        _emit(detail, fmt)
        return
    console.print(_actions_table([detail.action], "action"))
    if detail.action.root_cause:
        console.print(f"Root cause: {detail.action.root_cause}")
    log = Table(title="Change log")
    for col in ("#", "when (UTC)", "who", "what", "old", "new", "note"):
        log.add_column(col)
    for e in detail.events:
        what = f"changed {e.field}" if e.kind == "changed" else e.kind
        log.add_row(str(e.event_no), f"{e.at:%Y-%m-%d %H:%M}", e.username or "", what, e.old_value or "",
                    e.new_value or "", e.note or "")  # fmt: skip
    console.print(log)
    for v in detail.verifications:
        when = f"{v.verified_at:%Y-%m-%d}"
        console.print(f"Verification {v.verification_no} ({when}): [bold]{v.verdict}[/bold] — {v.reason}")


@actions.command("overdue")
@click.option("--today", type=_DATE, help="Judge as of this day (default: today in the reporting zone).")
@click.option(
    "--remind",
    is_flag=True,
    help="Also raise one 'action_overdue' alert per overdue action per day: live board, alert log, webhook.",
)
@click.option("--webhook/--no-webhook", default=True, show_default=True, help="With --remind: queue for the webhook.")
@_FORMAT
@pass_app
def overdue_cmd(app: AppContext, today: Any, remind: bool, webhook: bool, fmt: str) -> None:
    """Reminders: open or in-progress actions past their due date, most overdue first.

    Run it daily with --remind (cron) so owners and team leads are reminded where they look."""
    day = _day(today) or local_today(load_catalogue(user_dir_from_env()).reporting_timezone)
    store = app.store()
    items = act.overdue(store, today=day)
    _emit(items, fmt, _actions_table(items, f"overdue action(s) on {day}"))
    if remind:
        from csqm.improvement.reminders import remind_overdue

        raised = remind_overdue(store, today=day, webhook=webhook)
        console.print(f"{len(raised)} reminder alert(s) raised ({len(items) - len(raised)} already sent today).")


@actions.command("verify")
@click.argument("action_id")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="Significance level (default: $CSQM_SIGNIFICANCE_LEVEL, else 0.05).")  # fmt: skip
@click.option("--no-comparison", is_flag=True, help="Do not use the other teams/agents as a comparison group.")
@_BY
@_FORMAT
@pass_app
def verify_cmd(
    app: AppContext, action_id: str, alpha: float | None, no_comparison: bool, username: str | None, fmt: str
) -> None:
    """Compare the action's metric before and after its effective day and give a verdict.

    Welch's t-test on daily values (two-proportion z-test for count ratios), effect size, and a
    difference-in-differences against the other values of the scope dimension. See docs/improvement.md.
    """
    result = act.verify_action(
        app.store(), action_id, username=_user(username), alpha=alpha, comparison=not no_comparison
    )
    if fmt == "json":
        _emit(result, fmt)
        return
    console.print(f"[bold]{result.verdict}[/bold]: {result.reason}")
    console.print(
        f"before {result.before_start}..{result.before_end}, after {result.after_start}..{result.after_end}; "
        f"test {result.test}"
    )


@actions.group("training")
def training() -> None:
    """Training needs (from failed key points and inspection findings) and training records."""


@training.command("needs")
@click.option("--team", help="Only this team.")
@click.option("--agent", help="Only this agent.")
@click.option("--from", "start", type=_DATE, help="First local day (default: 28 days before the newest data).")
@click.option("--to", "end", type=_DATE, help="Last local day.")
@_FORMAT
@pass_app
def needs_cmd(app: AppContext, team: str | None, agent: str | None, start: Any, end: Any, fmt: str) -> None:
    """Who needs training on what, with the evidence."""
    items = training_needs(app.store(), team_id=team, agent_id=agent, start=_day(start), end=_day(end))
    table = Table(title=f"{len(items)} training need(s)")
    for col in ("level", "team", "agent", "topic", "source", "failures", "cases", "rate %", "rest %", "metric"):
        table.add_column(col)
    for n in items:
        ref = "" if n.reference_rate is None else f"{n.reference_rate:.1f}"
        table.add_row(n.level, n.team_id or "", n.agent_id or "", n.topic, n.source, str(n.failures), str(n.cases),
                      f"{n.rate:.1f}", ref, n.metric or "")  # fmt: skip
    _emit(items, fmt, table)


@training.command("add")
@click.argument("topic")
@click.option("--agent", help="Trainee.")
@click.option("--team", help="Team trained (when not one agent).")
@click.option("--on", "day", type=_DATE, required=True, help="Day of the training.")
@click.option("--trainer", help="Who trained.")
@click.option("--metric", help="Metric the training should move.")
@click.option("--finding", "finding_id", help="Finding it answers.")
@click.option("--window", "window_days", type=click.IntRange(3, 366), default=28, show_default=True)
@_BY
@_FORMAT
@pass_app
def training_add_cmd(
    app: AppContext,
    topic: str,
    agent: str | None,
    team: str | None,
    day: Any,
    trainer: str | None,
    metric: str | None,
    finding_id: str | None,
    window_days: int,
    username: str | None,
    fmt: str,
) -> None:
    """Record a training (who, what topic, when); verify it later with `csqm actions verify T…`."""
    if not agent and not team:
        raise click.UsageError("Give the trainee (--agent) or the team (--team).")
    created = act.create_action(
        app.store(),
        username=_user(username),
        kind="training",
        title=topic,
        agent_id=agent,
        team_id=team,
        owner=trainer,
        metric=metric,
        finding_id=finding_id,
        effective_on=_day(day),
        window_days=window_days,
    )
    _emit([created], fmt, _actions_table([created], "training recorded"))


@training.command("list")
@click.option("--team", help="Only this team.")
@click.option("--agent", help="Only this agent.")
@_FORMAT
@pass_app
def training_list_cmd(app: AppContext, team: str | None, agent: str | None, fmt: str) -> None:
    """Training records, newest first."""
    items = act.list_actions(app.store(), kind="training", team_id=team, agent_id=agent)
    _emit(items, fmt, _actions_table(items, "training record(s)"))


__all__ = ["ImprovementError", "actions"]
