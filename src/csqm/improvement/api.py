"""REST routes of the improvement loop under ``/api/v1/improvement`` (thin: the service checks roles and scope)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from csqm.improvement import service
from csqm.improvement.models import (
    Action,
    ActionDetail,
    ActionKind,
    ActionStatus,
    Finding,
    FindingStatus,
    Source,
    TrainingNeed,
    VerificationRecord,
)
from csqm.web.deps import CatalogueDep, StoreDep, UserDep
from csqm.web.routes.common import ERRORS
from csqm.web.schemas import ErrorPublic

router = APIRouter(
    prefix="/improvement",
    tags=["improvement"],
    responses={**ERRORS, 403: {"model": ErrorPublic, "description": "Your role may not do this."}},
)

Id = Annotated[str, Path(max_length=40, pattern=r"^[A-Z][0-9]{1,12}$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


DetectSource = Literal["inspection", "kpi", "test_call"]
ALL_SOURCES: tuple[DetectSource, ...] = ("inspection", "kpi", "test_call")


class DetectRequest(_Body):
    sources: list[DetectSource] = Field(default_factory=lambda: list(ALL_SOURCES))
    start: date | None = Field(None, description="First local day (default: 28 days before the newest data).")
    end: date | None = Field(None, description="Last local day (default: the newest data).")


class DetectResult(_Body):
    new: list[Finding]
    already_recorded: int


class FindingCreate(_Body):
    title: str = Field(min_length=1, max_length=500)
    scope_kind: str = Field("all", max_length=40)
    scope_value: str | None = Field(None, max_length=200)
    metric: str | None = Field(None, max_length=40)
    evidence: str | None = Field(None, max_length=4000)


class FindingChange(_Body):
    status: FindingStatus
    note: str | None = Field(None, max_length=4000)


class ActionCreate(_Body):
    title: str = Field(min_length=1, max_length=500, description="What is done (training: the topic).")
    finding_id: str | None = Field(None, max_length=40)
    root_cause: str | None = Field(None, max_length=4000)
    department: str | None = Field(None, max_length=200)
    owner: str | None = Field(None, max_length=200, description="Responsible person (training: the trainer).")
    team_id: str | None = Field(None, max_length=200)
    agent_id: str | None = Field(None, max_length=200)
    metric: str | None = Field(None, max_length=40)
    scope_kind: str | None = Field(None, max_length=40)
    scope_value: str | None = Field(None, max_length=200)
    effective_on: date | None = None
    window_days: int = Field(28, ge=3, le=366)
    due_on: date | None = None


class ActionChange(_Body):
    title: str | None = Field(None, min_length=1, max_length=500)
    root_cause: str | None = Field(None, max_length=4000)
    department: str | None = Field(None, max_length=200)
    owner: str | None = Field(None, max_length=200)
    metric: str | None = Field(None, max_length=40)
    scope_kind: str | None = Field(None, max_length=40)
    scope_value: str | None = Field(None, max_length=200)
    effective_on: date | None = None
    window_days: int | None = Field(None, ge=3, le=366)
    due_on: date | None = None
    status: ActionStatus | None = None
    note: str | None = Field(None, max_length=4000, description="A progress note appended to the log.")


class ProgressNote(_Body):
    note: str = Field(min_length=1, max_length=4000)
    status: ActionStatus | None = None


class VerifyRequest(_Body):
    alpha: float | None = Field(
        None, gt=0, lt=1, description="Significance level (default: the server's CSQM_SIGNIFICANCE_LEVEL, else 0.05)."
    )
    comparison: bool = Field(True, description="Use the other values of the scope dimension as comparison group.")


@router.get("/findings", response_model=list[Finding])
def read_findings(
    user: UserDep,
    store: StoreDep,
    status: FindingStatus | None = None,
    source: Source | None = None,
    team_id: Annotated[str | None, Query(max_length=200)] = None,
) -> list[Finding]:
    """Findings in your scope, newest first."""
    return service.list_findings(store, principal=user, status=status, source=source, team_id=team_id)


@router.post("/findings/detect", response_model=DetectResult)
def detect(user: UserDep, store: StoreDep, catalogue: CatalogueDep, body: DetectRequest) -> DetectResult:
    """Detect findings from inspection, KPIs and test calls; each is stored once."""
    new, skipped = service.detect_findings(
        store,
        principal=user,
        catalogue=catalogue,
        sources=body.sources,
        start=body.start,
        end=body.end,
    )
    return DetectResult(new=new, already_recorded=skipped)


@router.post("/findings", response_model=Finding, status_code=201)
def add_finding(user: UserDep, store: StoreDep, catalogue: CatalogueDep, body: FindingCreate) -> Finding:
    """Record a finding by hand."""
    return service.add_finding(store, principal=user, catalogue=catalogue, **body.model_dump())


@router.get("/findings/{finding_id}", response_model=Finding)
def read_finding(user: UserDep, store: StoreDep, finding_id: Id) -> Finding:
    return service.get_finding(store, principal=user, finding_id=finding_id)


@router.patch("/findings/{finding_id}", response_model=Finding)
def change_finding(user: UserDep, store: StoreDep, finding_id: Id, body: FindingChange) -> Finding:
    """Close or dismiss a finding (logged)."""
    return service.set_finding_status(store, principal=user, finding_id=finding_id, status=body.status, note=body.note)


@router.get("/actions", response_model=list[Action])
def read_actions(
    user: UserDep,
    store: StoreDep,
    catalogue: CatalogueDep,
    status: ActionStatus | None = None,
    team_id: Annotated[str | None, Query(max_length=200)] = None,
    kind: ActionKind = "action",
) -> list[Action]:
    """Improvement actions (or training records with ``kind=training``) in your scope."""
    return service.list_actions(store, principal=user, catalogue=catalogue, kind=kind, status=status, team_id=team_id)


@router.get("/actions/overdue", response_model=list[Action])
def read_overdue(user: UserDep, store: StoreDep, catalogue: CatalogueDep) -> list[Action]:
    """Open or in-progress actions past their due date (the reminder list), most overdue first."""
    return service.list_actions(store, principal=user, catalogue=catalogue, kind=None, overdue_only=True)


@router.post("/actions", response_model=Action, status_code=201)
def create_action(user: UserDep, store: StoreDep, catalogue: CatalogueDep, body: ActionCreate) -> Action:
    """Record an improvement action (metric and scope default to its finding's)."""
    return service.create_action(store, principal=user, catalogue=catalogue, kind="action", **body.model_dump())


@router.get("/actions/{action_id}", response_model=ActionDetail)
def read_action(user: UserDep, store: StoreDep, catalogue: CatalogueDep, action_id: Id) -> ActionDetail:
    """An action or training record with its change log and verifications."""
    return service.get_action(store, principal=user, catalogue=catalogue, action_id=action_id)


@router.patch("/actions/{action_id}", response_model=Action)
def change_action(user: UserDep, store: StoreDep, catalogue: CatalogueDep, action_id: Id, body: ActionChange) -> Action:
    """Change fields; every change is logged with who, when, old and new value."""
    changes = body.model_dump(exclude_unset=True)
    note = changes.pop("note", None)
    return service.update_action(
        store, principal=user, catalogue=catalogue, action_id=action_id, changes=changes,
        note=note,
    )  # fmt: skip


@router.post("/actions/{action_id}/progress", response_model=Action)
def add_progress(user: UserDep, store: StoreDep, catalogue: CatalogueDep, action_id: Id, body: ProgressNote) -> Action:
    """Append a progress note (and optionally change the status)."""
    changes = {"status": body.status} if body.status else {}
    return service.update_action(
        store, principal=user, catalogue=catalogue, action_id=action_id, changes=changes,
        note=body.note,
    )  # fmt: skip


@router.post("/actions/{action_id}/verify", response_model=VerificationRecord)
def verify(
    user: UserDep, store: StoreDep, catalogue: CatalogueDep, action_id: Id, body: VerifyRequest
) -> VerificationRecord:
    """Compare the metric before and after (significance, effect size, difference-in-differences) and store the
    verdict: improved, no_change or worse."""
    return service.verify_action(
        store, principal=user, catalogue=catalogue, action_id=action_id, alpha=body.alpha,
        comparison=body.comparison,
    )  # fmt: skip


@router.get("/training", response_model=list[Action])
def read_training(
    user: UserDep,
    store: StoreDep,
    catalogue: CatalogueDep,
    team_id: Annotated[str | None, Query(max_length=200)] = None,
) -> list[Action]:
    """Training records in your scope (an agent sees their own)."""
    return service.list_actions(store, principal=user, catalogue=catalogue, kind="training", team_id=team_id)


@router.post("/training", response_model=Action, status_code=201)
def create_training(user: UserDep, store: StoreDep, catalogue: CatalogueDep, body: ActionCreate) -> Action:
    """Record a training (trainee or team, topic as title, trainer as owner, effective_on = training day)."""
    return service.create_action(store, principal=user, catalogue=catalogue, kind="training", **body.model_dump())


@router.get("/training/needs", response_model=list[TrainingNeed])
def read_training_needs(
    user: UserDep,
    store: StoreDep,
    catalogue: CatalogueDep,
    team_id: Annotated[str | None, Query(max_length=200)] = None,
    agent_id: Annotated[str | None, Query(max_length=200)] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> list[TrainingNeed]:
    """Training needs per agent and team from failed key points and inspection findings."""
    return service.list_training_needs(
        store, principal=user, catalogue=catalogue, team_id=team_id, agent_id=agent_id,
        start=start, end=end,
    )  # fmt: skip
