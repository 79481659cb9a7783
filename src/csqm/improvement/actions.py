"""Improvement actions and training records (L1/L2): create, update with a logged history, progress,
overdue reminders, and verification by their metric.

A training record is an action of kind ``training``: the trainee (``agent_id``) or team, the topic
(``title``), the trainer (``owner``), the training day (``effective_on``) and the metric it should move,
so it is verified exactly like an action.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import pandas as pd

from csqm.improvement import verify as ver
from csqm.improvement.findings import get_finding, set_finding_status
from csqm.improvement.models import Action, ActionDetail, Event, VerificationRecord
from csqm.improvement.records import (
    ImprovementError,
    UnknownIdError,
    log_event,
    mask,
    next_id,
    now,
    parse_date,
    ready,
    rows,
)
from csqm.improvement.tables import ACTION_KINDS, ACTION_STATUSES, SCOPE_KINDS
from csqm.metrics import Catalogue, load_catalogue, user_dir_from_env
from csqm.store import Store

DEFAULT_WINDOW_DAYS = 28
_DATES = ("effective_on", "due_on")
#: Fields :func:`update_action` may change, and whether their text is masked.
EDITABLE = {
    "title": True,
    "root_cause": True,
    "department": True,
    "owner": True,
    "metric": False,
    "scope_kind": False,
    "scope_value": False,
    "effective_on": False,
    "window_days": False,
    "due_on": False,
    "status": False,
}
_OPEN = ("open", "in_progress")


def _catalogue(catalogue: Catalogue | None) -> Catalogue:
    return catalogue or load_catalogue(user_dir_from_env())


def _team_of(store: Store, agent_id: str) -> str | None:
    team = store.scalar('SELECT "team_id" FROM "agents" WHERE "agent_id" = ?', (agent_id,))
    return None if team is None else str(team)


def _check_target(metric: str | None, scope_kind: str | None, scope_value: str | None, cat: Catalogue) -> None:
    if metric is not None and metric not in cat:
        raise ImprovementError(f"There is no metric {metric!r} in the catalogue; see `csqm metrics --list`.")
    if scope_kind is not None and scope_kind not in SCOPE_KINDS:
        raise ImprovementError(f"Unknown scope {scope_kind!r}: use {', '.join(SCOPE_KINDS)}.")
    if scope_kind not in (None, "all") and not scope_value:
        raise ImprovementError(f"A {scope_kind} scope needs a value (e.g. --scope {scope_kind}=…).")


def create_action(
    store: Store,
    *,
    username: str,
    title: str,
    kind: str = "action",
    finding_id: str | None = None,
    root_cause: str | None = None,
    department: str | None = None,
    owner: str | None = None,
    team_id: str | None = None,
    agent_id: str | None = None,
    metric: str | None = None,
    scope_kind: str | None = None,
    scope_value: str | None = None,
    effective_on: date | str | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    due_on: date | str | None = None,
    catalogue: Catalogue | None = None,
) -> Action:
    """Record an action (or a training record, ``kind="training"``); metric and scope default to the
    finding's; the finding becomes ``actioned``. Everything is logged."""
    ready(store)
    if kind not in ACTION_KINDS:
        raise ImprovementError(f"Unknown kind {kind!r}: use {', '.join(ACTION_KINDS)}.")
    if not title or not title.strip():
        raise ImprovementError("An action needs a title saying what is done (a training record: the topic).")
    if window_days < ver.MIN_PERIODS:
        raise ImprovementError(f"The verification window must be at least {ver.MIN_PERIODS} days (got {window_days}).")
    effective, due = parse_date(effective_on, "effective date"), parse_date(due_on, "due date")
    finding = get_finding(store, finding_id) if finding_id else None
    if finding is not None:
        metric = metric or finding.metric
        if scope_kind is None:
            scope_kind, scope_value = finding.scope_kind, finding.scope_value
        team_id = team_id or finding.team_id
        agent_id = agent_id or finding.agent_id
    if kind == "training":
        if not agent_id and not team_id:
            raise ImprovementError("A training record needs the trainee (agent) or the team trained.")
        if effective is None:
            raise ImprovementError("A training record needs the day of the training (effective date).")
        if scope_kind is None:
            scope_kind, scope_value = ("agent", agent_id) if agent_id else ("team", team_id)
    if scope_kind == "team":
        team_id = team_id or scope_value
    if scope_kind == "agent" and scope_value:
        agent_id = agent_id or scope_value
    if agent_id and not team_id:
        team_id = _team_of(store, agent_id)
    _check_target(metric, scope_kind, scope_value, _catalogue(catalogue))
    status = "done" if kind == "training" else "open"
    stamp = now()
    with store.transaction():
        action_id = next_id(store, "improvement_actions", "action_id", "T" if kind == "training" else "A")
        store.execute(
            'INSERT INTO "improvement_actions" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            (
                action_id, kind, finding_id, mask(title), mask(root_cause), mask(department), mask(owner), team_id,
                agent_id, metric, scope_kind, scope_value, effective, window_days, due, status, stamp, username, stamp,
            ),
        )  # fmt: skip
        log_event(store, action_id, username=username, kind="created", note=mask(title))
        if finding is not None and finding.status == "open":
            store.execute(
                'UPDATE "improvement_findings" SET "status" = ? WHERE "finding_id" = ?',
                ("actioned", finding.finding_id),
            )
            log_event(store, finding.finding_id, username=username, kind="status", field="status", old="open",
                      new="actioned", note=f"Action {action_id} recorded.")  # fmt: skip
    return get_action(store, action_id)


def _action(row: dict[str, Any], today: date | None = None) -> Action:
    day = today or date.today()
    row["overdue"] = bool(row.get("due_on") and row["due_on"] < day and row["status"] in _OPEN)
    return Action.model_validate(row)


def get_action(store: Store, action_id: str, *, today: date | None = None) -> Action:
    frame = ready(store).query('SELECT * FROM "improvement_actions" WHERE "action_id" = ?', (action_id,))
    if frame.empty:
        raise UnknownIdError(f"There is no action or training record {action_id!r}; see `csqm actions list`.")
    return _action(rows(frame, _DATES)[0], today)


def update_action(
    store: Store,
    action_id: str,
    *,
    username: str,
    changes: Mapping[str, Any],
    note: str | None = None,
    catalogue: Catalogue | None = None,
) -> Action:
    """Change fields (each change logged with old and new value) and/or append a progress note."""
    old = get_action(store, action_id)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ImprovementError(f"Cannot change {', '.join(unknown)}; editable: {', '.join(EDITABLE)}.")
    new: dict[str, Any] = {}
    for key, value in changes.items():
        if key in _DATES:
            value = parse_date(value, key.replace("_", " "))
        elif key == "window_days":
            value = int(value)
            if value < ver.MIN_PERIODS:
                raise ImprovementError(f"The verification window must be at least {ver.MIN_PERIODS} days.")
        elif key == "status" and value not in ACTION_STATUSES:
            raise ImprovementError(f"Unknown status {value!r}: use {', '.join(ACTION_STATUSES)}.")
        elif key == "title" and not (value or "").strip():
            raise ImprovementError("The title cannot be empty.")
        elif EDITABLE[key] and value is not None:
            value = mask(str(value))
        if getattr(old, key) != value:
            new[key] = value
    merged = old.model_copy(update=new)
    _check_target(merged.metric, merged.scope_kind, merged.scope_value, _catalogue(catalogue))
    if not new and not (note and note.strip()):
        return old
    with store.transaction():
        for key, value in new.items():
            store.execute(f'UPDATE "improvement_actions" SET "{key}" = ? WHERE "action_id" = ?', (value, action_id))
            kind = "status" if key == "status" else "changed"
            log_event(store, action_id, username=username, kind=kind, field=key, old=getattr(old, key), new=value)
        if note and note.strip():
            log_event(store, action_id, username=username, kind="progress", note=note)
        store.execute('UPDATE "improvement_actions" SET "updated_at" = ? WHERE "action_id" = ?', (now(), action_id))
    return get_action(store, action_id)


def list_actions(
    store: Store,
    *,
    kind: str | None = None,
    status: str | None = None,
    team_id: str | None = None,
    agent_id: str | None = None,
    finding_id: str | None = None,
    overdue_on: date | None = None,
    extra_condition: tuple[str, list[Any]] | None = None,
    today: date | None = None,
) -> list[Action]:
    """Actions and training records, newest first; ``overdue_on``: only those overdue on that day."""
    ready(store)
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    for col, val in (("kind", kind), ("status", status), ("team_id", team_id), ("agent_id", agent_id),
                     ("finding_id", finding_id)):  # fmt: skip
        if val is not None:
            where.append(f'"{col}" = ?')
            params.append(val)
    if overdue_on is not None:
        where.append("\"due_on\" < ? AND \"status\" IN ('open', 'in_progress')")
        params.append(overdue_on)
    if extra_condition is not None:
        where.append(extra_condition[0])
        params.extend(extra_condition[1])
    frame = store.query(
        f'SELECT * FROM "improvement_actions" WHERE {" AND ".join(where)} ORDER BY "created_at" DESC, "action_id" DESC',
        params,
    )
    return [_action(r, today or overdue_on) for r in rows(frame, _DATES)]


def overdue(store: Store, *, today: date | None = None, **filters: Any) -> list[Action]:
    """Open or in-progress actions past their due date (the reminder list), most overdue first."""
    day = today or date.today()
    found = list_actions(store, overdue_on=day, today=day, **filters)
    return sorted(found, key=lambda a: (a.due_on or day, a.action_id))


def events(store: Store, subject_id: str) -> list[Event]:
    frame = ready(store).query(
        'SELECT * FROM "improvement_events" WHERE "subject_id" = ? ORDER BY "event_no"', (subject_id,)
    )
    return [Event.model_validate(r) for r in rows(frame)]


def verifications(store: Store, action_id: str) -> list[VerificationRecord]:
    frame = ready(store).query(
        'SELECT * FROM "improvement_verifications" WHERE "action_id" = ? ORDER BY "verification_no"', (action_id,)
    )
    dates = ("before_start", "before_end", "after_start", "after_end")
    return [VerificationRecord.model_validate(r) for r in rows(frame, dates)]


def detail(store: Store, action_id: str, *, today: date | None = None) -> ActionDetail:
    return ActionDetail(
        action=get_action(store, action_id, today=today),
        events=events(store, action_id),
        verifications=verifications(store, action_id),
    )


def _touched(store: Store, action: Action, windows: ver.Windows) -> list[str]:
    """Other scope values with their own (not cancelled) action or training on the same metric taking effect
    inside the compared windows: they are not an untouched comparison group."""
    frame = store.query(
        'SELECT DISTINCT "scope_value" FROM "improvement_actions" WHERE "metric" = ? AND "scope_kind" = ? '
        'AND "action_id" <> ? AND "status" <> \'cancelled\' AND "effective_on" >= ? AND "effective_on" <= ? '
        'AND "scope_value" IS NOT NULL',
        (action.metric, action.scope_kind, action.action_id, windows.before_start, windows.after_end),
    )
    return sorted(str(v) for v in frame["scope_value"] if str(v) != action.scope_value)


def verify_action(
    store: Store,
    action_id: str,
    *,
    username: str,
    alpha: float | None = None,
    comparison: bool = True,
    catalogue: Catalogue | None = None,
    today: date | None = None,
) -> VerificationRecord:
    """Verify an action or training by its metric (see :mod:`csqm.improvement.verify`) and store the result."""
    act = get_action(store, action_id)
    missing = [n for n, v in (("metric", act.metric), ("scope", act.scope_kind), ("effective date", act.effective_on))
               if v is None]  # fmt: skip
    if missing:
        raise ImprovementError(
            f"Action {action_id} cannot be verified without its {', '.join(missing)}; "
            "set them with `csqm actions update`."
        )
    assert act.metric is not None and act.scope_kind is not None and act.effective_on is not None
    windows = ver.Windows.around(act.effective_on, act.window_days or DEFAULT_WINDOW_DAYS)
    res = ver.verify_metric(
        store,
        metric=act.metric,
        scope_kind=act.scope_kind,
        scope_value=act.scope_value,
        effective_on=act.effective_on,
        window_days=act.window_days or DEFAULT_WINDOW_DAYS,
        alpha=ver.significance_level() if alpha is None else alpha,
        comparison=comparison,
        exclude=_touched(store, act, windows),
        catalogue=_catalogue(catalogue),
        today=today,
    )
    did = res.did
    f = ver.finite
    with store.transaction():
        last = store.scalar(
            'SELECT max("verification_no") FROM "improvement_verifications" WHERE "action_id" = ?', (action_id,)
        )
        number = 1 if last is None or pd.isna(last) else int(last) + 1
        w = res.windows
        store.execute(
            'INSERT INTO "improvement_verifications" VALUES '
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                action_id, number, now(), username, res.metric, res.direction, res.scope_kind, res.scope_value,
                w.before_start, w.before_end, w.after_start, w.after_end, res.test.test, f(res.before_value),
                f(res.after_value), f(res.test.statistic), f(res.test.p_value), f(res.test.effect_size), res.comparison,
                f(did.comparison_change * res.did_scale) if did else None,
                f(did.estimate * res.did_scale) if did else None, f(did.p_value) if did else None, res.alpha,
                res.verdict, res.reason,
            ),
        )  # fmt: skip
        log_event(store, action_id, username=username, kind="verified", new=res.verdict, note=res.reason)
    return verifications(store, action_id)[-1]


def due_in(days: int, *, today: date | None = None) -> date:
    """A due date ``days`` from today."""
    return (today or date.today()) + timedelta(days=days)


__all__ = [
    "create_action",
    "detail",
    "events",
    "get_action",
    "list_actions",
    "overdue",
    "set_finding_status",
    "update_action",
    "verifications",
    "verify_action",
]
