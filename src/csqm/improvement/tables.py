"""The tables of the improvement loop, declared like ``csqm.store.schema`` (to be folded into the schema
migrations). :func:`ensure_tables` creates them idempotently until then."""

from __future__ import annotations

from csqm.store import Store
from csqm.store.schema import Column, Table

FINDING_SOURCES = ("test_call", "inspection", "kpi", "manual")
FINDING_STATUSES = ("open", "actioned", "closed", "dismissed")
SCOPE_KINDS = ("all", "centre", "team", "agent", "channel", "business_line", "region", "topic", "queue", "product")
ACTION_KINDS = ("action", "training")
ACTION_STATUSES = ("open", "in_progress", "done", "cancelled")
VERDICTS = ("improved", "no_change", "worse")


def _c(name: str, type_: str, doc: str, **kw: object) -> Column:
    return Column(name, type_, doc, **kw)  # type: ignore[arg-type]


FINDINGS = Table(
    "improvement_findings",
    "Quality problems found by test calls, inspection or KPI anomalies (or entered by hand): the start of the loop.",
    (
        _c("finding_id", "text", "Finding id, F00001 …", nullable=False),
        _c("source", "text", "Where it was found.", nullable=False, values=FINDING_SOURCES),
        _c("scope_kind", "text", "Kind of scope it is about.", nullable=False, values=SCOPE_KINDS),
        _c("scope_value", "text", "The team, agent, channel … it is about; null for scope all."),
        _c("team_id", "text", "Team concerned (for role scoping); null when not one team."),
        _c("agent_id", "text", "Agent concerned; null when not one agent."),
        _c("metric", "text", "Catalogue metric concerned, if any."),
        _c("rule_id", "text", "Inspection rule or test-call key point concerned, if any."),
        _c("title", "text", "One line saying what is wrong (masked)."),
        _c("evidence", "text", "Numbers behind it: values, counts, test and p-value (masked)."),
        _c("value", "float", "Observed value (metric value or hit rate in %)."),
        _c("reference", "float", "What it was compared with (target, rest of the organisation, history)."),
        _c("p_value", "float", "p-value of the test that flagged it; null for a target miss.", minimum=0, maximum=1),
        _c("period_start", "date", "First local day of the data it is based on."),
        _c("period_end", "date", "Last local day of the data it is based on."),
        _c("fingerprint", "text", "Source, scope, metric/rule and period: detecting again does not duplicate it."),
        _c("status", "text", "open, actioned, closed or dismissed.", nullable=False, values=FINDING_STATUSES),
        _c("created_at", "timestamp", "When it was recorded (UTC).", unit="UTC"),
        _c("created_by", "text", "User or process that recorded it."),
    ),
    key=("finding_id",),
    group="outcomes",
    ingestable=False,
    indexes=(("fingerprint",), ("team_id",)),
)

ACTIONS = Table(
    "improvement_actions",
    "Improvement actions (with their root-cause note) and training records; each names the metric and scope "
    "it should move so its effect can be verified.",
    (
        _c("action_id", "text", "Action id, A00001 … (training records T00001 …).", nullable=False),
        _c("kind", "text", "action, or training (a training record).", nullable=False, values=ACTION_KINDS),
        _c("finding_id", "text", "Finding it answers; null when none."),
        _c("title", "text", "What is done (training: the topic), masked.", nullable=False),
        _c("root_cause", "text", "Root-cause note (masked)."),
        _c("department", "text", "Responsible department."),
        _c("owner", "text", "Responsible person (training: the trainer)."),
        _c("team_id", "text", "Team concerned (for role scoping)."),
        _c("agent_id", "text", "Agent concerned (training: the trainee)."),
        _c("metric", "text", "Catalogue metric it should move."),
        _c("scope_kind", "text", "Dimension of the scope it should move it in.", values=SCOPE_KINDS),
        _c("scope_value", "text", "Value of that dimension (e.g. T05); null for scope all."),
        _c("effective_on", "date", "First local day the change is in force (training: the training day)."),
        _c("window_days", "int", "Days compared before and after effective_on.", unit="day", minimum=1),
        _c("due_on", "date", "Deadline (local date)."),
        _c("status", "text", "open, in_progress, done or cancelled.", nullable=False, values=ACTION_STATUSES),
        _c("created_at", "timestamp", "When it was recorded (UTC).", unit="UTC"),
        _c("created_by", "text", "Who recorded it."),
        _c("updated_at", "timestamp", "Last change (UTC).", unit="UTC"),
    ),
    key=("action_id",),
    group="outcomes",
    ingestable=False,
    indexes=(("finding_id",), ("team_id",), ("agent_id",)),
)

EVENTS = Table(
    "improvement_events",
    "Append-only log of every change to an action or finding: who, when, what (progress updates included).",
    (
        _c("subject_id", "text", "Action or finding id.", nullable=False),
        _c("event_no", "int", "Number of the event for that subject, from 1.", nullable=False, unit="count"),
        _c("at", "timestamp", "When (UTC).", unit="UTC"),
        _c("username", "text", "Who."),
        _c("kind", "text", "created, changed, progress, status, verified."),
        _c("field", "text", "Field changed, for kind changed/status."),
        _c("old_value", "text", "Value before (masked)."),
        _c("new_value", "text", "Value after (masked)."),
        _c("note", "text", "Progress note or comment (masked)."),
    ),
    key=("subject_id", "event_no"),
    group="outcomes",
    ingestable=False,
)

VERIFICATIONS = Table(
    "improvement_verifications",
    "Verification of an action or training by its metric: before vs after, significance, effect size, "
    "difference-in-differences against an untouched comparison group, and the verdict.",
    (
        _c("action_id", "text", "Action or training verified.", nullable=False),
        _c("verification_no", "int", "Number of the verification of that action, from 1.", nullable=False),
        _c("verified_at", "timestamp", "When (UTC).", unit="UTC"),
        _c("verified_by", "text", "Who."),
        _c("metric", "text", "Metric compared."),
        _c("direction", "text", "Better when the metric is higher or lower (from the catalogue)."),
        _c("scope_kind", "text", "Scope dimension."),
        _c("scope_value", "text", "Scope value."),
        _c("before_start", "date", "First local day before."),
        _c("before_end", "date", "Last local day before."),
        _c("after_start", "date", "First local day after."),
        _c("after_end", "date", "Last local day after."),
        _c("test", "text", "welch_t (daily values) or two_proportion_z (pooled counts)."),
        _c("before_value", "float", "Metric value before (pooled over the window)."),
        _c("after_value", "float", "Metric value after."),
        _c("statistic", "float", "t or z statistic of after vs before."),
        _c("p_value", "float", "Two-sided p-value of the before/after test.", minimum=0, maximum=1),
        _c("effect_size", "float", "Cohen's d (welch_t) or Cohen's h (two_proportion_z), after minus before."),
        _c("comparison", "text", "Comparison group (other values of the scope dimension); null when none."),
        _c("comparison_change", "float", "Change of the comparison group (its trend), after minus before."),
        _c("did_estimate", "float", "Difference-in-differences: scope change minus comparison change."),
        _c("did_p_value", "float", "Two-sided p-value of the difference-in-differences.", minimum=0, maximum=1),
        _c("alpha", "float", "Significance level used.", minimum=0, maximum=1),
        _c("verdict", "text", "improved, no_change or worse.", values=VERDICTS),
        _c("reason", "text", "One sentence explaining the verdict."),
    ),
    key=("action_id", "verification_no"),
    group="outcomes",
    ingestable=False,
)

IMPROVEMENT_TABLES = (FINDINGS, ACTIONS, EVENTS, VERIFICATIONS)


def ensure_tables(store: Store, tables: tuple[Table, ...] = IMPROVEMENT_TABLES) -> None:
    """Create the tables and their indexes if missing (idempotent)."""
    store.create_tables(tables)
