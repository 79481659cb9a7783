"""The customer 360 (C1): one customer's history across every channel, in the caller's scope (no HTTP).

Who sees what:

- admin, quality manager, auditor, test-call manager: the whole history;
- team lead / agent: only a customer their team / they served (at least one interaction in scope,
  otherwise 404), and of that customer only the interactions and tickets in their scope, the surveys and
  complaints tied to those interactions (or tickets), and the orders (customer-level, not team data);
- tester: nothing (404).

Texts (complaint descriptions, survey comments, display name) are masked at ingest; clear identity
values (``customer_identities.raw_value``) are never read here.
"""

from __future__ import annotations

from typing import Any

from csqm.store import Store
from csqm.store.rows import records
from csqm.web import scope
from csqm.web.auth import Outcome, Principal, record_audit
from csqm.web.errors import NotFoundError
from csqm.web.schemas import CustomerHistoryPublic

_EVERYTHING = ("admin", "quality_manager", "auditor", "test_call_manager")
_LIMIT = 500


def _rows(store: Store, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return records(store.query(sql + f" LIMIT {_LIMIT}", params))


def customer_history(store: Store, *, principal: Principal, customer_id: str) -> CustomerHistoryPublic:
    """The customer's interactions, tickets, surveys, complaints and orders, newest first (audited)."""
    customer = store.query(
        'SELECT "customer_id", "segment", "business_line", "region", "display_name", "first_seen_at" '
        'FROM "customers" WHERE "customer_id" = ?',
        (customer_id,),
    )
    icond, iparams = scope.condition(principal, team_col='i."team_id"', agent_col='i."agent_id"')
    everything = principal.role in _EVERYTHING
    served = bool(
        store.scalar(
            f'SELECT count(*) FROM "interactions" AS i WHERE i."customer_id" = ? AND {icond}', [customer_id, *iparams]
        )
    )
    if customer.empty or not (everything or served):
        outcome: Outcome = "not_found" if customer.empty else "denied"
        record_audit(store, username=principal.username, action="customer_view", target=customer_id, outcome=outcome)
        raise NotFoundError(f"There is no customer {customer_id!r} that you may see.")
    record_audit(store, username=principal.username, action="customer_view", target=customer_id, outcome="allowed")
    key = [customer_id]
    interactions = _rows(
        store,
        'SELECT i."interaction_id", i."channel", i."direction", i."queue", i."agent_id", i."team_id", '
        'i."offered_at", i."talk_seconds", i."topic", i."resolved", r."score", r."passed" '
        'FROM "interactions" AS i LEFT JOIN "inspection_results" AS r ON r."interaction_id" = i."interaction_id" '
        f'WHERE i."customer_id" = ? AND {icond} ORDER BY i."offered_at" DESC',
        [*key, *iparams],
    )
    tcond, tparams = scope.condition(principal, team_col='t."team_id"', agent_col='t."agent_id"')
    tickets = _rows(
        store,
        'SELECT t."ticket_id", t."interaction_id", t."channel", t."category", t."priority", t."created_at", '
        f't."resolved_at", t."reopen_count" FROM "tickets" AS t WHERE t."customer_id" = ? AND {tcond} '
        'ORDER BY t."created_at" DESC',
        [*key, *tparams],
    )
    # Surveys and complaints of a scoped user: only those tied to an interaction (or ticket) in scope.
    seen = (
        "1 = 1"
        if everything
        else f'x."interaction_id" IN (SELECT i."interaction_id" FROM "interactions" i WHERE {icond})'
    )
    seen_params = [] if everything else list(iparams)
    surveys = _rows(
        store,
        'SELECT x."survey_id", x."interaction_id", x."sent_at", x."answered_at", x."csat", x."nps", x."ces", '
        f'x."comment" FROM "surveys" AS x WHERE x."customer_id" = ? AND {seen} ORDER BY x."sent_at" DESC',
        [*key, *seen_params],
    )
    complaint_seen = seen
    complaint_params = seen_params
    if not everything:
        complaint_seen = f'({seen} OR x."ticket_id" IN (SELECT t."ticket_id" FROM "tickets" t WHERE {tcond}))'
        complaint_params = [*seen_params, *tparams]
    complaints = _rows(
        store,
        'SELECT x."complaint_id", x."interaction_id", x."ticket_id", x."channel", x."category", x."severity", '
        f'x."created_at", x."resolved_at", x."description" FROM "complaints" AS x WHERE x."customer_id" = ? '
        f'AND {complaint_seen} ORDER BY x."created_at" DESC',
        [*key, *complaint_params],
    )
    orders = _rows(
        store,
        'SELECT "order_id", "ordered_at", "amount", "product", "channel", "status" FROM "orders" '
        'WHERE "customer_id" = ? ORDER BY "ordered_at" DESC',
        key,
    )
    channels = sorted({str(r["channel"]) for r in interactions if r["channel"] is not None})
    return CustomerHistoryPublic.model_validate(
        {
            "customer": records(customer)[0],
            "channels": channels,
            "interactions": interactions,
            "tickets": tickets,
            "surveys": surveys,
            "complaints": complaints,
            "orders": orders,
        }
    )
