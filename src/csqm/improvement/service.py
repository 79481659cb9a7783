"""The improvement loop for a signed-in user: role checks and scope, keyword-only, no HTTP.

Who may do what:

============================  =====================================================================
admin, quality_manager        everything: detect and record findings, create / change / verify actions
                              and training records
auditor, test_call_manager    read everything
team_lead                     read findings, actions and training of their team; change the status of
                              and add progress to their team's actions
agent                         read their own training records and training needs only
tester                        nothing (test-call tasks only)
============================  =====================================================================

Objects outside the caller's scope are "not found" (404), never "forbidden", so ids do not leak; an
operation the role may not do at all is :class:`csqm.web.errors.ForbiddenError` (403).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from csqm.improvement import actions as act
from csqm.improvement import findings as fnd
from csqm.improvement.models import Action, ActionDetail, Finding, TrainingNeed, VerificationRecord
from csqm.improvement.records import ImprovementError, UnknownIdError
from csqm.improvement.training import training_needs
from csqm.improvement.verify import VerificationError, local_today
from csqm.metrics import Catalogue
from csqm.store import Store
from csqm.web.auth import Principal, record_audit
from csqm.web.errors import BadParameterError, ForbiddenError, NotFoundError

MANAGE = ("admin", "quality_manager")
READ_ALL = ("admin", "quality_manager", "auditor", "test_call_manager")
#: Fields a team lead may change on their team's actions.
TEAM_LEAD_FIELDS = frozenset({"status"})


@contextmanager
def _errors() -> Iterator[None]:
    """Service errors as the web layer's: unknown id → 404, bad input → 400."""
    try:
        yield
    except UnknownIdError as exc:
        raise NotFoundError(str(exc)) from None
    except (ImprovementError, VerificationError) as exc:
        raise BadParameterError(str(exc)) from None


def _require(principal: Principal, roles: Sequence[str], what: str, store: Store | None = None) -> None:
    if principal.role not in roles:
        if store is not None:  # refused changes are audited
            record_audit(store, username=principal.username, action=f"improvement: {what}", outcome="denied")
        raise ForbiddenError(f"The role {principal.role} may not {what}.")


def _audit(store: Store, principal: Principal, action: str, target: str) -> None:
    record_audit(store, username=principal.username, action=f"improvement_{action}", outcome="allowed", target=target)


def _scope(principal: Principal, *, kind: str | None = None) -> tuple[str, list[Any]]:
    """SQL condition on the ``team_id`` / ``agent_id`` columns of findings and actions."""
    if principal.role in READ_ALL:
        return "1 = 1", []
    if principal.role == "team_lead" and principal.team_id:
        return '"team_id" = ?', [principal.team_id]
    if principal.role == "agent" and principal.agent_id and kind == "training":
        return '"agent_id" = ? AND "kind" = \'training\'', [principal.agent_id]
    return "1 = 0", []


def _read_findings(principal: Principal) -> None:
    _require(principal, (*READ_ALL, "team_lead"), "read findings")


def _read_actions(principal: Principal) -> None:
    _require(principal, (*READ_ALL, "team_lead"), "read improvement actions")


def list_findings(
    store: Store,
    *,
    principal: Principal,
    status: str | None = None,
    source: str | None = None,
    team_id: str | None = None,
) -> list[Finding]:
    _read_findings(principal)
    with _errors():
        cond = _scope(principal)
        return fnd.list_findings(store, status=status, source=source, team_id=team_id, extra_condition=cond)


def get_finding(store: Store, *, principal: Principal, finding_id: str) -> Finding:
    _read_findings(principal)
    found = fnd.list_findings(store, extra_condition=_and(_scope(principal), '"finding_id" = ?', finding_id))
    if not found:
        raise NotFoundError(f"There is no finding {finding_id!r} in your scope.")
    return found[0]


def _and(cond: tuple[str, list[Any]], sql: str, value: Any) -> tuple[str, list[Any]]:
    return f"({cond[0]}) AND {sql}", [*cond[1], value]


def detect_findings(
    store: Store,
    *,
    principal: Principal,
    catalogue: Catalogue,
    sources: Sequence[str] = fnd.SOURCES,
    start: date | None = None,
    end: date | None = None,
) -> tuple[list[Finding], int]:
    _require(principal, MANAGE, "detect findings", store)
    with _errors():
        new, skipped = fnd.detect(
            store, sources=sources, start=start, end=end, catalogue=catalogue, username=principal.username
        )
    _audit(store, principal, "detect", f"{len(new)} new findings")
    return new, skipped


def add_finding(store: Store, *, principal: Principal, catalogue: Catalogue, **fields: Any) -> Finding:
    _require(principal, MANAGE, "record findings", store)
    with _errors():
        found = fnd.add_finding(store, username=principal.username, catalogue=catalogue, **fields)
    _audit(store, principal, "finding_add", found.finding_id)
    return found


def set_finding_status(
    store: Store, *, principal: Principal, finding_id: str, status: str, note: str | None = None
) -> Finding:
    _require(principal, MANAGE, "change findings", store)
    with _errors():
        found = fnd.set_finding_status(store, finding_id, status, username=principal.username, note=note)
    _audit(store, principal, "finding_status", finding_id)
    return found


def list_actions(
    store: Store,
    *,
    principal: Principal,
    catalogue: Catalogue,
    kind: str | None = "action",
    status: str | None = None,
    team_id: str | None = None,
    overdue_only: bool = False,
) -> list[Action]:
    """Actions (or training records, ``kind="training"``) in scope; agents see only their own training."""
    if kind != "training":
        _read_actions(principal)
    else:
        _require(principal, (*READ_ALL, "team_lead", "agent"), "read training records")
    today = local_today(catalogue.reporting_timezone)
    cond = _scope(principal, kind=kind)
    with _errors():
        if overdue_only:
            return act.overdue(store, today=today, kind=kind, status=status, team_id=team_id, extra_condition=cond)
        return act.list_actions(store, kind=kind, status=status, team_id=team_id, extra_condition=cond, today=today)


def _visible_action(store: Store, principal: Principal, action_id: str, catalogue: Catalogue) -> Action:
    kind_scope = _scope(principal, kind="training")
    today = local_today(catalogue.reporting_timezone)
    for cond in (_scope(principal), kind_scope):
        found = act.list_actions(store, extra_condition=_and(cond, '"action_id" = ?', action_id), today=today)
        if found:
            return found[0]
    raise NotFoundError(f"There is no action or training record {action_id!r} in your scope.")


def get_action(store: Store, *, principal: Principal, catalogue: Catalogue, action_id: str) -> ActionDetail:
    _require(principal, (*READ_ALL, "team_lead", "agent"), "read improvement actions")
    _visible_action(store, principal, action_id, catalogue)
    return act.detail(store, action_id, today=local_today(catalogue.reporting_timezone))


def create_action(store: Store, *, principal: Principal, catalogue: Catalogue, **fields: Any) -> Action:
    _require(principal, MANAGE, "create improvement actions or training records", store)
    with _errors():
        created = act.create_action(store, username=principal.username, catalogue=catalogue, **fields)
    _audit(store, principal, "action_create", created.action_id)
    return created


def update_action(
    store: Store,
    *,
    principal: Principal,
    catalogue: Catalogue,
    action_id: str,
    changes: Mapping[str, Any],
    note: str | None = None,
) -> Action:
    """Managers change any field; a team lead the status of (and progress notes on) their team's actions."""
    _require(principal, (*MANAGE, "team_lead"), "change improvement actions", store)
    current = _visible_action(store, principal, action_id, catalogue)
    if principal.role == "team_lead":
        if current.kind != "action":
            raise ForbiddenError("A team lead may not change training records.")
        extra = sorted(set(changes) - TEAM_LEAD_FIELDS)
        if extra:
            raise ForbiddenError(
                f"A team lead may change only the status and add progress notes (not {', '.join(extra)})."
            )
    with _errors():
        updated = act.update_action(
            store, action_id, username=principal.username, changes=changes, note=note, catalogue=catalogue
        )
    _audit(store, principal, "action_update", action_id)
    return updated


def verify_action(
    store: Store,
    *,
    principal: Principal,
    catalogue: Catalogue,
    action_id: str,
    alpha: float | None = None,
    comparison: bool = True,
) -> VerificationRecord:
    _require(principal, MANAGE, "verify improvement actions", store)
    _visible_action(store, principal, action_id, catalogue)
    with _errors():
        result = act.verify_action(
            store,
            action_id,
            username=principal.username,
            alpha=alpha,
            comparison=comparison,
            catalogue=catalogue,
            today=local_today(catalogue.reporting_timezone),
        )
    _audit(store, principal, "verify", action_id)
    return result


def list_training_needs(
    store: Store,
    *,
    principal: Principal,
    catalogue: Catalogue,
    team_id: str | None = None,
    agent_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[TrainingNeed]:
    """Needs in scope: a team lead's team, an agent's own."""
    _require(principal, (*READ_ALL, "team_lead", "agent"), "read training needs")
    if principal.role == "team_lead":
        if team_id not in (None, principal.team_id):
            return []
        team_id = principal.team_id or "-"
    if principal.role == "agent":
        if agent_id not in (None, principal.agent_id):
            return []
        agent_id = principal.agent_id or "-"
    with _errors():
        return training_needs(store, start=start, end=end, team_id=team_id, agent_id=agent_id, catalogue=catalogue)
