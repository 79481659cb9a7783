"""``/catalogue/rules`` and ``/catalogue/scorecards``: the loaded inspection packs (the metrics are ``/metrics``)."""

from __future__ import annotations

from fastapi import APIRouter

from csqm.web import catalogue
from csqm.web.deps import UserDep
from csqm.web.routes.common import ERRORS
from csqm.web.schemas import NamesPublic, RulePublic, ScorecardItemPublic, ScorecardPublic

router = APIRouter(prefix="/catalogue", tags=["catalogue"], responses=ERRORS)


@router.get("/rules", response_model=list[RulePublic])
def read_rules(user: UserDep) -> list[RulePublic]:
    """Every enabled inspection rule of the loaded packs."""
    return [
        RulePublic(
            pack_id=r.pack_id,
            rule_id=r.rule.id,
            name=NamesPublic(zh=r.rule.name_zh, en=r.rule.name_en),
            category=r.rule.category,
            detector=r.rule.detector,
            severity=r.rule.severity,
            item=r.rule.item,
            channels=list(r.rule.channels),
            description=r.rule.description,
            source=r.source,
        )
        for r in sorted(catalogue.packs().rules, key=lambda r: (r.pack_id, r.rule.id))
    ]


@router.get("/scorecards", response_model=list[ScorecardPublic])
def read_scorecards(user: UserDep) -> list[ScorecardPublic]:
    """Every scorecard with its weighted items."""
    return [
        ScorecardPublic(
            scorecard_id=s.card.id,
            name=NamesPublic(zh=s.card.name_zh, en=s.card.name_en),
            pass_score=s.card.pass_score,
            channels=list(s.card.channels),
            languages=list(s.languages),
            items=[
                ScorecardItemPublic(
                    item_id=i.id,
                    name=NamesPublic(zh=i.name_zh, en=i.name_en),
                    weight=i.weight,
                    per_finding=i.per_finding,
                    cap=i.cap,
                    fatal=i.fatal,
                )
                for i in s.card.items
            ],
            source=s.source,
        )
        for s in catalogue.packs().scorecards
    ]
