"""Value types of inspection: findings that explain themselves, and the result of one conversation.

Detecting is separate from deciding: detectors only produce :class:`Finding` objects; the scorecard
(:mod:`csqm.inspection.scoring`) decides what they cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["fatal", "non_fatal", "info"]
SEVERITIES: tuple[Severity, ...] = ("fatal", "non_fatal", "info")

#: Speaker codes used in columnar batches (index into this tuple), as in ``utterances.speaker``.
SPEAKERS: tuple[str, ...] = ("customer", "agent", "bot", "system")


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a rule found in one conversation, with everything needed to check it by eye.

    ``seq`` is the turn (``utterances.seq``); ``None`` for findings about the whole conversation
    (a greeting that was never said, a long hold). ``start``/``end`` are character offsets into the
    masked text of that turn. ``evidence`` is a short masked excerpt or an explanation.
    """

    rule_id: str
    detector: str
    interaction_id: str
    seq: int | None
    start: int | None
    end: int | None
    evidence: str
    severity: Severity
    category: str = ""
    item: str | None = None
    deduction: float = 0.0

    def describe(self) -> str:
        """One line for people: rule, where, and what was seen."""
        where = "conversation" if self.seq is None else f"turn {self.seq}"
        if self.start is not None:
            where += f" [{self.start}:{self.end}]"
        return f"{self.rule_id} ({self.detector}, {self.severity}) at {where}: {self.evidence}"


@dataclass(frozen=True, slots=True)
class ItemScore:
    """How one scorecard item came out: points earned of its weight, or not applicable."""

    item: str
    weight: float
    earned: float
    applicable: bool
    fatal: bool
    findings: int


@dataclass(frozen=True)
class ConversationResult:
    """The verdict on one conversation: its score on the chosen scorecard and the findings behind it.

    ``score`` is 0–100 (0 when a fatal item fired); ``None`` when no scorecard applies or every
    item was not applicable.
    """

    interaction_id: str
    scorecard_id: str | None
    score: float | None
    passed: bool | None
    fatal_count: int
    findings: tuple[Finding, ...] = ()
    items: tuple[ItemScore, ...] = field(default=())

    def by_rule(self, rule_id: str) -> list[Finding]:
        """The findings of one rule."""
        return [f for f in self.findings if f.rule_id == rule_id]
