"""Response models of the REST API (``XPublic``: what a client may see)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ErrorPublic(BaseModel):
    """Every error: one sentence a user can act on."""

    error: str


class NamesPublic(BaseModel):
    zh: str
    en: str


class MetricPublic(BaseModel):
    """One catalogue metric and its target."""

    id: str
    name: NamesPublic
    dimension: str
    unit: str
    direction: str
    target: float | None
    warning: float | None
    description: str


class KpiRowPublic(BaseModel):
    """One metric × period × breakdown value, with the target that applied and its status."""

    metric: str
    period: datetime | None = None
    dims: dict[str, str | None] = Field(default_factory=dict)
    value: float | None
    numerator: float | None
    denominator: float | None
    sample_size: int | None
    unit: str
    direction: str
    target: float | None
    warning: float | None
    status: str | None
    version: int | None
    definition_hash: str | None


class KpiResultPublic(BaseModel):
    rows: list[KpiRowPublic]
    skipped: list[str] = Field(default_factory=list, description="Metrics left out of the default set.")


class TeamPublic(BaseModel):
    team_id: str
    centre_id: str | None
    name: str | None
    business_line: str | None


class AgentPublic(BaseModel):
    agent_id: str
    team_id: str | None
    name: str | None
    role: str | None


class ConversationPublic(BaseModel):
    """One interaction's headline facts."""

    interaction_id: str
    channel: str
    direction: str | None
    queue: str | None
    customer_id: str | None = None
    agent_id: str | None
    team_id: str | None
    offered_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    talk_seconds: float | None
    topic: str | None
    resolved: bool | None
    score: float | None = None
    passed: bool | None = None


class ConversationPage(BaseModel):
    items: list[ConversationPublic]
    total: int
    page: int
    page_size: int


class TurnPublic(BaseModel):
    """One transcript turn; the text is masked."""

    seq: int
    speaker: str
    spoken_at: datetime | None
    offset_seconds: float | None
    text: str | None


class FindingPublic(BaseModel):
    finding_no: int
    rule_id: str
    detector: str | None
    category: str | None
    seq: int | None
    span_start: int | None
    span_end: int | None
    evidence: str | None
    severity: str | None
    scorecard_item: str | None
    deduction: float | None


class InspectionPublic(BaseModel):
    scorecard_id: str | None
    score: float | None
    passed: bool | None
    fatal_count: int | None
    finding_count: int | None
    inspected_at: datetime | None


class ConversationDetail(BaseModel):
    """A conversation with its transcript, inspection result and findings (with spans)."""

    conversation: ConversationPublic
    turns: list[TurnPublic]
    inspection: InspectionPublic | None
    findings: list[FindingPublic]


class CustomerPublic(BaseModel):
    """A customer's profile (the display name is masked at ingest)."""

    customer_id: str
    segment: str | None
    business_line: str | None
    region: str | None
    display_name: str | None
    first_seen_at: datetime | None


class CustomerInteractionPublic(BaseModel):
    interaction_id: str
    channel: str | None
    direction: str | None
    queue: str | None
    agent_id: str | None
    team_id: str | None
    offered_at: datetime | None
    talk_seconds: float | None
    topic: str | None
    resolved: bool | None
    score: float | None
    passed: bool | None


class CustomerTicketPublic(BaseModel):
    ticket_id: str
    interaction_id: str | None
    channel: str | None
    category: str | None
    priority: str | None
    created_at: datetime | None
    resolved_at: datetime | None
    reopen_count: int | None


class CustomerSurveyPublic(BaseModel):
    survey_id: str
    interaction_id: str | None
    sent_at: datetime | None
    answered_at: datetime | None
    csat: float | None
    nps: float | None
    ces: float | None
    comment: str | None


class CustomerComplaintPublic(BaseModel):
    complaint_id: str
    interaction_id: str | None
    ticket_id: str | None
    channel: str | None
    category: str | None
    severity: str | None
    created_at: datetime | None
    resolved_at: datetime | None
    description: str | None


class CustomerOrderPublic(BaseModel):
    order_id: str
    ordered_at: datetime | None
    amount: float | None
    product: str | None
    channel: str | None
    status: str | None


class CustomerHistoryPublic(BaseModel):
    """The customer 360: every channel's history of one customer, limited to the caller's scope."""

    customer: CustomerPublic
    channels: list[str]
    interactions: list[CustomerInteractionPublic]
    tickets: list[CustomerTicketPublic]
    surveys: list[CustomerSurveyPublic]
    complaints: list[CustomerComplaintPublic]
    orders: list[CustomerOrderPublic]


class SamplePublic(BaseModel):
    """A review sample and how much of it the caller has reviewed."""

    sample_id: str
    conversations: int
    reviewed: int
    created_at: datetime | None


class SampleRequest(BaseModel):
    """Draw a stratified sample for manual review (replaces a sample of the same name)."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[\w\-.]+$")
    by: list[str] = Field(default_factory=lambda: ["team_id"], max_length=4)
    per_stratum: int = Field(5, ge=1, le=1000)
    seed: int = Field(1, ge=0, le=2**31 - 1)
    only_failed: bool = False


class SampleCreated(BaseModel):
    sample_id: str
    conversations: int


class QueueItemPublic(BaseModel):
    """One conversation of a review queue, with the machine's score and the caller's progress."""

    interaction_id: str
    stratum: str | None
    agent_id: str | None
    team_id: str | None
    offered_at: datetime | None
    machine_score: float | None
    findings: int
    decided: int
    my_score: float | None


class DecisionRequest(BaseModel):
    """Confirm or reject a machine finding, or add a finding the machine missed."""

    interaction_id: str = Field(min_length=1, max_length=200)
    rule_id: str = Field(min_length=1, max_length=200)
    seq: int = Field(0, ge=0, le=1_000_000, description="Turn of the finding; 0 for the whole conversation.")
    verdict: str = Field(pattern="^(confirmed|rejected|missed)$")
    note: str | None = Field(None, max_length=2000)


class ScoreRequest(BaseModel):
    """A manual score of a conversation (0–100); ``passed`` defaults to score ≥ 80."""

    interaction_id: str = Field(min_length=1, max_length=200)
    score: float = Field(ge=0, le=100)
    passed: bool | None = None
    note: str | None = Field(None, max_length=2000)


class SavedPublic(BaseModel):
    saved: bool = True


class RuleAccuracyPublic(BaseModel):
    """The machine against reviewers for one rule."""

    rule_id: str
    confirmed: int
    rejected: int
    missed: int
    precision: float | None
    recall: float | None
    misjudgment_rate: float | None


class AgreementPublic(BaseModel):
    """Agreement of two raters (the machine is ``(machine)``) on the conversations both scored."""

    rater_a: str
    rater_b: str
    conversations: int
    kappa_passed: float | None
    within_tolerance: float | None
    mean_abs_diff: float | None


class ReviewStatisticsPublic(BaseModel):
    rules: list[RuleAccuracyPublic]
    agreement: list[AgreementPublic]


class RulePublic(BaseModel):
    """An inspection rule of the loaded packs."""

    pack_id: str
    rule_id: str
    name: NamesPublic
    category: str
    detector: str
    severity: str
    item: str | None
    channels: list[str]
    description: str
    source: str


class ScorecardItemPublic(BaseModel):
    item_id: str
    name: NamesPublic
    weight: float
    per_finding: float
    cap: float
    fatal: bool


class ScorecardPublic(BaseModel):
    """A scorecard: weighted items, pass score, where it applies."""

    scorecard_id: str
    name: NamesPublic
    pass_score: float
    channels: list[str]
    languages: list[str]
    items: list[ScorecardItemPublic]
    source: str
