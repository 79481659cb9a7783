"""The tables inspection and review write, declared like ``csqm.store.schema`` (to be folded into
the schema migrations). :func:`ensure_tables` creates them idempotently until then."""

from __future__ import annotations

from csqm.store import Store
from csqm.store.schema import Column, Table


def _c(name: str, type_: str, doc: str, **kw: object) -> Column:
    return Column(name, type_, doc, **kw)  # type: ignore[arg-type]


INSPECTION_RESULTS = Table(
    "inspection_results",
    "Automatic quality inspection: one row per inspected conversation, its scorecard score and verdict.",
    (
        _c("interaction_id", "text", "Conversation inspected.", nullable=False),
        _c("pack_version", "text", "Content hash of the rule packs that produced this result.", nullable=False),
        _c(
            "scope_digest",
            "text",
            "Hash of the rules and scorecard that applied to this conversation; a change re-inspects it.",
            nullable=False,
        ),
        _c("scorecard_id", "text", "Scorecard used; null when none applies."),
        _c(
            "score",
            "float",
            "Score 0–100 (0 after a fatal error); null when no item applied.",
            unit="score",
            minimum=0,
            maximum=100,
        ),
        _c("passed", "bool", "No fatal error and score ≥ the scorecard's pass score; null when unscored."),
        _c("fatal_count", "int", "Fatal findings.", unit="count", minimum=0),
        _c("finding_count", "int", "All findings, informational ones included.", unit="count", minimum=0),
        _c("deduction_total", "float", "Points deducted by non-fatal findings.", unit="score", minimum=0),
        _c("inspected_at", "timestamp", "When it was inspected (UTC).", unit="UTC"),
        _c(
            "offered_at",
            "timestamp",
            "When the conversation started (UTC), copied from interactions so QA KPIs date by conversation.",
            unit="UTC",
        ),
    ),
    key=("interaction_id",),
    group="outcomes",
    ingestable=False,
    indexes=(("pack_version",),),
)

INSPECTION_FINDINGS = Table(
    "inspection_findings",
    "What the inspection found: one row per finding, with the rule, turn, span and masked evidence.",
    (
        _c("interaction_id", "text", "Conversation.", nullable=False),
        _c("finding_no", "int", "Number of the finding within the conversation, from 1.", nullable=False, unit="count"),
        _c("rule_id", "text", "Rule that fired.", nullable=False),
        _c("detector", "text", "Detector kind of the rule."),
        _c("category", "text", "Rule category (forbidden, script, commitment, thanks, history, …)."),
        _c("seq", "int", "Turn (utterances.seq); null for findings about the whole conversation.", unit="count"),
        _c("span_start", "int", "First character of the match in the turn's masked text.", unit="char"),
        _c("span_end", "int", "Character after the match.", unit="char"),
        _c("evidence", "text", "Masked excerpt (match in 【】) or an explanation."),
        _c("severity", "text", "fatal, non_fatal or info.", values=("fatal", "non_fatal", "info")),
        _c("scorecard_item", "text", "Scorecard item it counted against; null when none."),
        _c("deduction", "float", "Points it deducted from its item.", unit="score", minimum=0),
        _c("pack_version", "text", "Pack version that produced it."),
    ),
    key=("interaction_id", "finding_no"),
    group="outcomes",
    ingestable=False,
    indexes=(("rule_id",), ("category",)),
)

INSPECTION_RULES = Table(
    "inspection_rules",
    "The rules of each pack version, so findings can be explained and compared across versions.",
    (
        _c("pack_version", "text", "Pack version.", nullable=False),
        _c("rule_id", "text", "Rule id.", nullable=False),
        _c("rule_digest", "text", "Content hash of the rule."),
        _c("name_zh", "text", "Chinese name."),
        _c("name_en", "text", "English name."),
        _c("category", "text", "Category."),
        _c("detector", "text", "Detector kind."),
        _c("severity", "text", "fatal, non_fatal or info."),
        _c("scorecard_item", "text", "Scorecard item."),
        _c("source", "text", "File and line it was loaded from."),
        _c("loaded_at", "timestamp", "First used (UTC).", unit="UTC"),
    ),
    key=("pack_version", "rule_id"),
    group="outcomes",
    ingestable=False,
)

INSPECTION_FEEDBACK = Table(
    "inspection_feedback",
    "Survey comments judged for negative feedback (for the pseudo-satisfied KPI).",
    (
        _c("survey_id", "text", "Survey.", nullable=False),
        _c("interaction_id", "text", "Conversation surveyed."),
        _c("negative", "bool", "The comment is negative (a negative phrase, or polarity at or below the limit)."),
        _c(
            "polarity",
            "float",
            "Sentiment polarity of the comment, -1 to 1; null when not scored.",
            minimum=-1,
            maximum=1,
        ),
        _c("evidence", "text", "Negative phrase found, masked."),
        _c("feedback_digest", "text", "Hash of the feedback settings that judged it."),
        _c("inspected_at", "timestamp", "When (UTC).", unit="UTC"),
    ),
    key=("survey_id",),
    group="outcomes",
    ingestable=False,
)

INSPECTION_TABLES = (INSPECTION_RESULTS, INSPECTION_FINDINGS, INSPECTION_RULES, INSPECTION_FEEDBACK)


def ensure_tables(store: Store, tables: tuple[Table, ...] = INSPECTION_TABLES) -> None:
    """Create the tables and their indexes if missing (idempotent)."""
    store.create_tables(tables)
