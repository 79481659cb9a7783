"""``/customers/{customer_id}``: the customer 360 — history across every channel, in the caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from csqm.web import customers
from csqm.web.deps import StoreDep, UserDep
from csqm.web.routes.common import ERRORS
from csqm.web.schemas import CustomerHistoryPublic

router = APIRouter(prefix="/customers", tags=["customers"], responses=ERRORS)


@router.get("/{customer_id}", response_model=CustomerHistoryPublic)
def read_customer(
    user: UserDep, store: StoreDep, customer_id: Annotated[str, Path(max_length=200)]
) -> CustomerHistoryPublic:
    """Interactions, tickets, surveys, complaints and orders of one customer (audited; 404 outside scope)."""
    return customers.customer_history(store, principal=user, customer_id=customer_id)
