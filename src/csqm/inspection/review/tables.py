"""Review tables (human spot checks), declared like ``csqm.store.schema``."""

from __future__ import annotations

from csqm.inspection.tables import ensure_tables
from csqm.store import Store
from csqm.store.schema import Column, Table


def _c(name: str, type_: str, doc: str, **kw: object) -> Column:
    return Column(name, type_, doc, **kw)  # type: ignore[arg-type]


VERDICTS = ("confirmed", "rejected", "missed")

REVIEW_SAMPLES = Table(
    "review_samples",
    "Conversations drawn for manual spot checks (抽检): one row per sampled conversation.",
    (
        _c("sample_id", "text", "Sample name.", nullable=False),
        _c("interaction_id", "text", "Conversation drawn.", nullable=False),
        _c("stratum", "text", "Stratum it was drawn from, e.g. team_id=T05."),
        _c("seed", "int", "Seed of the draw (same seed, same data: same sample)."),
        _c("plan", "text", "The sampling plan as JSON (strata, size per stratum, filters)."),
        _c("created_at", "timestamp", "When it was drawn (UTC).", unit="UTC"),
    ),
    key=("sample_id", "interaction_id"),
    group="outcomes",
    ingestable=False,
)

REVIEW_DECISIONS = Table(
    "review_decisions",
    "A reviewer's verdict on a machine finding (confirmed / rejected), or a finding the machine missed.",
    (
        _c("interaction_id", "text", "Conversation.", nullable=False),
        _c("reviewer", "text", "Reviewer id.", nullable=False),
        _c("session_id", "text", "Calibration session ('' outside sessions).", nullable=False),
        _c("rule_id", "text", "Rule the finding belongs to.", nullable=False),
        _c("seq", "int", "Turn of the finding; 0 for the whole conversation.", nullable=False, unit="count"),
        _c("verdict", "text", "confirmed, rejected or missed.", values=VERDICTS),
        _c("note", "text", "Reviewer's note (masked text only)."),
        _c("reviewed_at", "timestamp", "When (UTC).", unit="UTC"),
    ),
    key=("interaction_id", "reviewer", "session_id", "rule_id", "seq"),
    group="outcomes",
    ingestable=False,
    indexes=(("rule_id",),),
)

REVIEW_SCORES = Table(
    "review_scores",
    "A reviewer's manual score of a conversation on its scorecard.",
    (
        _c("interaction_id", "text", "Conversation.", nullable=False),
        _c("reviewer", "text", "Reviewer id.", nullable=False),
        _c("session_id", "text", "Calibration session ('' outside sessions).", nullable=False),
        _c("score", "float", "Manual score 0–100.", unit="score", minimum=0, maximum=100),
        _c("passed", "bool", "Manual verdict; default: score ≥ the scorecard's pass score."),
        _c("note", "text", "Reviewer's note."),
        _c("reviewed_at", "timestamp", "When (UTC).", unit="UTC"),
    ),
    key=("interaction_id", "reviewer", "session_id"),
    group="outcomes",
    ingestable=False,
)

REVIEW_TABLES = (REVIEW_SAMPLES, REVIEW_DECISIONS, REVIEW_SCORES)


def ensure_review_tables(store: Store) -> None:
    """Create the review tables (and the inspection tables they refer to) if missing."""
    ensure_tables(store)
    ensure_tables(store, REVIEW_TABLES)
