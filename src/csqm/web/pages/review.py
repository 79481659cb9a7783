"""``/review``: the review workbench — queues from sampling plans, verdicts on findings, manual scores,
and (for quality managers and admins) the machine's per-rule precision / recall and reviewer agreement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from csqm.inspection.review.sampling import STRATA
from csqm.web import review
from csqm.web.console import CsrfDep, PageUserDep, render, require_roles, translator
from csqm.web.conversation_view import conversation_view
from csqm.web.deps import StateDep, StoreDep
from csqm.web.errors import BadParameterError, NotFoundError

router = APIRouter(prefix="/review")
SampleId = Annotated[str, Path(max_length=64)]
InteractionId = Annotated[str, Path(max_length=200)]


@router.get("", response_class=HTMLResponse)
def workbench(request: Request, user: PageUserDep, store: StoreDep, error: str | None = None) -> HTMLResponse:
    """Samples (queues), the form that draws a new one, and the statistics."""
    require_roles(user, *review.REVIEWERS)
    context = {
        "samples": review.list_samples(store, principal=user),
        "stats": review.statistics(store, principal=user),
        "strata": STRATA,
        "error": error,
    }
    return render(request, "review/index.html", context, status_code=400 if error else 200)


@router.post("/samples", dependencies=[CsrfDep])
def draw_sample(
    request: Request,
    user: PageUserDep,
    store: StoreDep,
    name: Annotated[str, Form(max_length=64)],
    by: Annotated[list[str] | None, Form()] = None,
    per_stratum: Annotated[int, Form(ge=1, le=1000)] = 5,
    seed: Annotated[int, Form(ge=0, le=2**31 - 1)] = 1,
    only_failed: Annotated[bool, Form()] = False,
) -> Response:
    """Draw a sample and open its queue."""
    require_roles(user, *review.REVIEWERS)
    try:
        review.new_sample(
            store,
            principal=user,
            name=name.strip(),
            by=tuple(by or ("team_id",)),
            per_stratum=per_stratum,
            seed=seed,
            only_failed=only_failed,
        )
    except BadParameterError as exc:
        return workbench(request, user, store, error=str(exc))
    return RedirectResponse(f"/review/samples/{name.strip()}", status_code=303)


@router.get("/samples/{sample_id}", response_class=HTMLResponse)
def sample_queue(request: Request, user: PageUserDep, store: StoreDep, sample_id: SampleId) -> HTMLResponse:
    """The queue of one sample."""
    require_roles(user, *review.REVIEWERS)
    items = review.queue(store, principal=user, sample_id=sample_id)
    return render(request, "review/queue.html", {"sample_id": sample_id, "items": items})


def _item_page(
    request: Request,
    user: PageUserDep,
    store: StoreDep,
    sample_id: str,
    interaction_id: str,
    *,
    error: str | None = None,
    saved: bool = False,
) -> HTMLResponse:
    items = review.queue(store, principal=user, sample_id=sample_id)
    ids = [i.interaction_id for i in items]
    if interaction_id not in ids:
        raise NotFoundError(f"The sample {sample_id!r} has no conversation {interaction_id!r}.")
    at = ids.index(interaction_id)
    view = conversation_view(store, principal=user, interaction_id=interaction_id)
    context = {
        "sample_id": sample_id,
        "view": view,
        "decisions": review.decisions(store, principal=user, interaction_id=interaction_id),
        "score": review.my_score(store, principal=user, interaction_id=interaction_id),
        "rules": review.rule_choices(store),
        "previous": ids[at - 1] if at > 0 else None,
        "next": ids[at + 1] if at + 1 < len(ids) else None,
        "position": at + 1,
        "total": len(ids),
        "error": error,
        "message": translator(request)("review.saved") if saved else None,
        "message_kind": "ok",
    }
    return render(request, "review/item.html", context, status_code=400 if error else 200)


@router.get("/samples/{sample_id}/{interaction_id}", response_class=HTMLResponse)
def review_item(
    request: Request, user: PageUserDep, store: StoreDep, sample_id: SampleId, interaction_id: InteractionId
) -> HTMLResponse:
    """One conversation of the queue: confirm / reject findings, add missed ones, score it."""
    require_roles(user, *review.REVIEWERS)
    return _item_page(request, user, store, sample_id, interaction_id, saved=request.query_params.get("saved") == "1")


@router.post("/samples/{sample_id}/{interaction_id}/decision", dependencies=[CsrfDep])
def post_decision(
    request: Request,
    user: PageUserDep,
    store: StoreDep,
    state: StateDep,
    sample_id: SampleId,
    interaction_id: InteractionId,
    rule_id: Annotated[str, Form(max_length=200)],
    verdict: Annotated[str, Form(max_length=20)],
    seq: Annotated[int, Form(ge=0, le=1_000_000)] = 0,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Save a verdict on a finding (or a missed one) and come back."""
    require_roles(user, *review.REVIEWERS)
    try:
        review.record_decision(
            store,
            principal=user,
            settings=state.settings,
            interaction_id=interaction_id,
            rule_id=rule_id,
            seq=seq,
            verdict=verdict,
            note=note,
        )
    except BadParameterError as exc:
        return _item_page(request, user, store, sample_id, interaction_id, error=str(exc))
    return RedirectResponse(f"/review/samples/{sample_id}/{interaction_id}?saved=1", status_code=303)


@router.post("/samples/{sample_id}/{interaction_id}/score", dependencies=[CsrfDep])
def post_score(
    request: Request,
    user: PageUserDep,
    store: StoreDep,
    state: StateDep,
    sample_id: SampleId,
    interaction_id: InteractionId,
    score: Annotated[float, Form(ge=0, le=100)],
    passed: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Save a manual score and come back."""
    require_roles(user, *review.REVIEWERS)
    verdict = {"yes": True, "no": False}.get(passed)
    try:
        review.record_score(
            store,
            principal=user,
            settings=state.settings,
            interaction_id=interaction_id,
            score=score,
            passed=verdict,
            note=note,
        )
    except BadParameterError as exc:
        return _item_page(request, user, store, sample_id, interaction_id, error=str(exc))
    return RedirectResponse(f"/review/samples/{sample_id}/{interaction_id}?saved=1", status_code=303)
