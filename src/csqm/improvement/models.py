"""Typed records of the improvement loop, returned by the Python API and the REST API alike."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Source = Literal["test_call", "inspection", "kpi", "manual"]
FindingStatus = Literal["open", "actioned", "closed", "dismissed"]
ActionKind = Literal["action", "training"]
ActionStatus = Literal["open", "in_progress", "done", "cancelled"]
VerdictCode = Literal["improved", "no_change", "worse"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Finding(_Model):
    """A quality problem found by test calls, inspection or a KPI anomaly."""

    finding_id: str
    source: Source
    scope_kind: str
    scope_value: str | None = None
    team_id: str | None = None
    agent_id: str | None = None
    metric: str | None = None
    rule_id: str | None = None
    title: str
    evidence: str | None = None
    value: float | None = None
    reference: float | None = None
    p_value: float | None = None
    period_start: date | None = None
    period_end: date | None = None
    status: FindingStatus
    created_at: datetime | None = None
    created_by: str | None = None


class Action(_Model):
    """An improvement action with its root-cause note, or a training record (``kind`` training)."""

    action_id: str
    kind: ActionKind
    finding_id: str | None = None
    title: str
    root_cause: str | None = None
    department: str | None = None
    owner: str | None = None
    team_id: str | None = None
    agent_id: str | None = None
    metric: str | None = None
    scope_kind: str | None = None
    scope_value: str | None = None
    effective_on: date | None = None
    window_days: int | None = None
    due_on: date | None = None
    status: ActionStatus
    created_at: datetime | None = None
    created_by: str | None = None
    updated_at: datetime | None = None
    overdue: bool = Field(False, description="Past its due date and neither done nor cancelled.")


class Event(_Model):
    """One entry of the append-only change log."""

    subject_id: str
    event_no: int
    at: datetime
    username: str | None = None
    kind: str
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    note: str | None = None


class VerificationRecord(_Model):
    """A stored verification of an action or training by its metric."""

    action_id: str
    verification_no: int
    verified_at: datetime
    verified_by: str | None = None
    metric: str
    direction: str
    scope_kind: str
    scope_value: str | None = None
    before_start: date
    before_end: date
    after_start: date
    after_end: date
    test: str
    before_value: float | None = None
    after_value: float | None = None
    statistic: float | None = None
    p_value: float | None = None
    effect_size: float | None = None
    comparison: str | None = None
    comparison_change: float | None = None
    did_estimate: float | None = None
    did_p_value: float | None = None
    alpha: float
    verdict: VerdictCode
    reason: str


class ActionDetail(_Model):
    """An action with its change log and verifications (newest last)."""

    action: Action
    events: list[Event]
    verifications: list[VerificationRecord]


class TrainingNeed(_Model):
    """A topic an agent or team needs training on, and the evidence for it."""

    level: Literal["agent", "team"]
    team_id: str | None = None
    agent_id: str | None = None
    topic: str
    source: Source
    metric: str | None = None
    failures: int = Field(description="Failed key points, or conversations with the rule hit.")
    cases: int = Field(description="Tests, or inspected conversations, in the period.")
    rate: float = Field(description="failures / cases × 100.")
    reference_rate: float | None = Field(None, description="Rate of the rest of the team / organisation, %.")
