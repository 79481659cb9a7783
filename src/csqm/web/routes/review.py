"""``/review``: sampling queues, verdicts on findings, manual scores and statistics (reviewers only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from csqm.web import review
from csqm.web.deps import StateDep, StoreDep, UserDep
from csqm.web.routes.common import ERRORS
from csqm.web.schemas import (
    DecisionRequest,
    ErrorPublic,
    QueueItemPublic,
    ReviewStatisticsPublic,
    SampleCreated,
    SamplePublic,
    SampleRequest,
    SavedPublic,
    ScoreRequest,
)

router = APIRouter(
    prefix="/review",
    tags=["review"],
    responses={**ERRORS, 403: {"model": ErrorPublic, "description": "Only reviewers may do this."}},
)


@router.get("/samples", response_model=list[SamplePublic])
def read_samples(user: UserDep, store: StoreDep) -> list[SamplePublic]:
    """Every review sample and how many of its conversations you have reviewed."""
    return [SamplePublic(**vars(s)) for s in review.list_samples(store, principal=user)]


@router.post("/samples", response_model=SampleCreated, status_code=201)
def create_sample(user: UserDep, store: StoreDep, body: SampleRequest) -> SampleCreated:
    """Draw a stratified sample (the queue) for manual review."""
    n = review.new_sample(
        store,
        principal=user,
        name=body.name,
        by=tuple(body.by),
        per_stratum=body.per_stratum,
        seed=body.seed,
        only_failed=body.only_failed,
    )
    return SampleCreated(sample_id=body.name, conversations=n)


@router.get("/samples/{sample_id}", response_model=list[QueueItemPublic])
def read_queue(user: UserDep, store: StoreDep, sample_id: Annotated[str, Path(max_length=64)]) -> list[QueueItemPublic]:
    """The conversations of a sample, with the machine's score and your progress."""
    return [QueueItemPublic(**vars(q)) for q in review.queue(store, principal=user, sample_id=sample_id)]


@router.post("/decisions", response_model=SavedPublic)
def post_decision(user: UserDep, store: StoreDep, state: StateDep, body: DecisionRequest) -> SavedPublic:
    """Confirm or reject a machine finding, or add one it missed (replaces your earlier verdict)."""
    review.record_decision(store, principal=user, settings=state.settings, **body.model_dump())
    return SavedPublic()


@router.post("/scores", response_model=SavedPublic)
def post_score(user: UserDep, store: StoreDep, state: StateDep, body: ScoreRequest) -> SavedPublic:
    """Score a conversation manually (replaces your earlier score)."""
    review.record_score(store, principal=user, settings=state.settings, **body.model_dump())
    return SavedPublic()


@router.get("/statistics", response_model=ReviewStatisticsPublic)
def read_statistics(
    user: UserDep, store: StoreDep, tolerance: Annotated[float, Query(ge=0, le=100)] = 5.0
) -> ReviewStatisticsPublic:
    """The machine's per-rule precision and recall, and agreement (Cohen's kappa) between raters."""
    return ReviewStatisticsPublic.model_validate(review.statistics(store, principal=user, tolerance=tolerance))
