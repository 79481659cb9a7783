"""Column builders for customers, interactions and utterances (canonical input fields)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from csqm.generate import plan as P
from csqm.generate import stages as S
from csqm.generate import transcript as T
from csqm.generate.banks import reference
from csqm.generate.chunk import Chunk
from csqm.generate.org import Org, agent_column, team_column
from csqm.generate.people import SEGMENTS, Customers
from csqm.generate.slots import slot_values
from csqm.generate.textkit import choose, take
from csqm.generate.writer import ts

Columns = dict[str, Any]
_QUEUES = pa.array(
    ["toc_phone", "toc_phone_vip", "toc_online", "toc_email", "toc_store", "tob_service", "bot", "self_service"]
)


def identity_columns(people: Customers, cust: np.ndarray, mask: np.ndarray) -> Columns:
    """``customer_<kind>`` columns: the customer's identifier where ``mask`` says the row carries it."""
    out: Columns = {}
    for k, kind in enumerate(P.IDENTITIES):
        values = take(people.ident[k], cust)
        out[f"customer_{kind}"] = pc.if_else(pa.array(mask[:, k]), values, pa.scalar(None, pa.string()))
    return out


def customer_columns(plan: P.Plan, people: Customers, first: int, count: int) -> Columns:
    """Rows ``first … first+count`` of customers.csv."""
    rows = np.arange(first, first + count)
    ref = reference(plan.lang)
    cols: Columns = {
        "segment": take(pa.array(SEGMENTS), people.segment[rows]),
        "business_line": take(pa.array(["ToC", "ToB"]), people.line[rows]),
        "region": take(pa.array(ref.region_names), people.region[rows]),
        "first_seen_at": ts(people.first_seen[rows]),
        "customer_name": take(people.name, rows),
        "customer_address": take(people.address, rows),
    }
    cols.update(identity_columns(people, rows, people.listed[rows]))
    return cols


def interaction_columns(chunk: Chunk, plan: P.Plan, people: Customers, org: Org, ticket: pa.Array) -> Columns:
    """The interactions.csv rows of a chunk (``ticket``: ticket id per row, null if none)."""
    d, h, t, f = chunk.draw, chunk.handling, chunk.timing, chunk.flags
    ref = reference(plan.lang)
    line = people.line[d.cust]
    automated = np.isin(d.channel, (P.BOT, P.SELF_SERVICE))
    answered = chunk.answered
    vip = people.segment[d.cust] == 0
    queue = np.select(
        [
            line == 1,
            d.channel == P.PHONE,
            np.isin(d.channel, (P.CHAT, P.SOCIAL)),
            d.channel == P.EMAIL,
            d.channel == P.STORE,
            d.channel == P.BOT,
        ],
        [5, np.where(vip, 1, 0), 2, 3, 4, 6],
        7,
    )
    cols: Columns = {
        "interaction_id": chunk.ids,
        "channel": take(pa.array(P.CHANNELS), d.channel),
        "direction": choose(d.outbound, "outbound", "inbound"),
        "queue": take(_QUEUES, queue),
        "agent_id": agent_column(org, h.agent),
        "team_id": team_column(org, h.team),
        "offered_at": ts(d.offered),
        "answered_at": ts(answered, answered >= 0),
        "ended_at": ts(chunk.ended),
        "abandoned": h.abandoned,
        "talk_seconds": t.talk,
        "hold_seconds": t.hold,
        "acw_seconds": t.acw,
        "first_response_seconds": t.first_response,
        "transfers": h.transfers,
        "topic": take(pa.array(ref.topic_names), d.topic),
        "product": take(pa.array(ref.product_names), d.product),
        "region": take(pa.array(ref.region_names), people.region[d.cust]),
        "business_line": take(pa.array(["ToC", "ToB"]), line),
        "resolved": h.resolved,
        "ticket_id": ticket,
        "handled_by_bot": automated & ~h.escalated,
        "escalated": h.escalated | f.escalate,
        "language": pa.array([plan.lang] * chunk.n, type=pa.string()),
    }
    cols.update(identity_columns(people, d.cust, chunk.ident))
    return cols


def chunk_slots(chunk: Chunk, plan: P.Plan, people: Customers, org: Org) -> pa.Array:
    """The slot table of a chunk (shared by transcripts and knowledge-base queries)."""
    d = chunk.draw
    return slot_values(plan, people, org, d.cust, d.product, d.day, chunk.handling.agent, plan.rng(13, chunk.index))


def utterance_columns(chunk: Chunk, plan: P.Plan, slots: pa.Array) -> Columns:
    """The utterances.csv rows of a chunk."""
    rng = plan.rng(11, chunk.index)
    kind, length = T.lengths(chunk, rng)
    inter, stage = T.stages(chunk, kind, length, rng)
    d = chunk.draw
    text = T.texts(chunk, inter, stage, slots, plan.lang, rng)
    offset = T.offsets(chunk, kind, inter, stage, text, rng)
    starts = np.cumsum(length) - length
    return {
        "interaction_id": take(chunk.ids, inter),
        "seq": np.arange(len(inter)) - starts[inter] + 1,
        "speaker": take(pa.array(S.SPEAKERS), S.STAGE_SPEAKER[stage]),
        "spoken_at": ts(d.offered[inter] + offset.astype(np.int64)),
        "offset_seconds": offset,
        "text": text,
    }
