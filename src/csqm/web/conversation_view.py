"""One conversation as the console shows it: findings marked at their spans, scorecard items, rule names.

Builds on :func:`csqm.web.conversations.get_conversation` (scoped and audited); no HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from csqm.store import Store
from csqm.store.rows import records
from csqm.web.auth import Principal
from csqm.web.catalogue import packs
from csqm.web.conversations import get_conversation
from csqm.web.schemas import ConversationDetail, FindingPublic, TurnPublic


@dataclass(frozen=True)
class Segment:
    """A stretch of a turn's text and the findings whose span covers it (none: plain text)."""

    text: str
    findings: tuple[FindingPublic, ...] = ()

    @property
    def severity(self) -> str:
        order = ("fatal", "non_fatal", "info")
        found = [f.severity for f in self.findings if f.severity in order]
        return min(found, key=order.index) if found else "info"


@dataclass(frozen=True)
class ItemScore:
    """A scorecard item: its weight and what the findings deducted from it."""

    item_id: str
    name_zh: str
    name_en: str
    weight: float
    deducted: float
    fatal: bool

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass
class ConversationView:
    detail: ConversationDetail
    turns: list[tuple[TurnPublic, list[Segment]]]
    items: list[ItemScore] = field(default_factory=list)
    scorecard_name: tuple[str, str] | None = None
    rule_names: dict[str, tuple[str, str]] = field(default_factory=dict)


def segments(text: str, findings: list[FindingPublic]) -> list[Segment]:
    """Split ``text`` at every finding boundary; overlapping findings share the stretch they overlap."""
    spans = [
        (max(0, f.span_start), min(len(text), f.span_end), f)
        for f in findings
        if f.span_start is not None and f.span_end is not None and f.span_end > f.span_start
    ]
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out = []
    for a, b in pairwise(cuts):
        if a >= b:
            continue
        covering = tuple(f for s, e, f in spans if s <= a and b <= e)
        out.append(Segment(text[a:b], covering))
    return out or [Segment(text)]


def _items(scorecard_id: str | None, findings: list[FindingPublic]) -> tuple[list[ItemScore], tuple[str, str] | None]:
    if scorecard_id is None:
        return [], None
    try:
        cards = [s.card for s in packs().scorecards if s.card.id == scorecard_id]
    except Exception:
        return [], None
    if not cards:
        return [], None
    card = cards[0]
    out = []
    for item in card.items:
        total = sum(f.deduction or 0.0 for f in findings if f.scorecard_item == item.id and f.severity != "info")
        out.append(ItemScore(item.id, item.name_zh, item.name_en, item.weight, min(total, item.cap), item.fatal))
    return out, (card.name_zh, card.name_en)


def conversation_view(store: Store, *, principal: Principal, interaction_id: str) -> ConversationView:
    """The conversation in scope (audited), its turns split into marked segments, scorecard items and rule names."""
    detail = get_conversation(store, principal=principal, interaction_id=interaction_id)
    by_turn: dict[int, list[FindingPublic]] = {}
    for f in detail.findings:
        if f.seq is not None:
            by_turn.setdefault(f.seq, []).append(f)
    turns = [(t, segments(t.text or "", by_turn.get(t.seq, []))) for t in detail.turns]
    names = store.query(
        'SELECT DISTINCT n."rule_id", n."name_zh", n."name_en" FROM "inspection_rules" n '
        'JOIN "inspection_results" r ON r."pack_version" = n."pack_version" WHERE r."interaction_id" = ?',
        (interaction_id,),
    )
    rule_names = {str(r["rule_id"]): (str(r["name_zh"]), str(r["name_en"])) for r in records(names)}
    items, card_name = _items(detail.inspection.scorecard_id if detail.inspection else None, detail.findings)
    return ConversationView(detail, turns, items, card_name, rule_names)
