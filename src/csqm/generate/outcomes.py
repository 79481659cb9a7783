"""Tickets, surveys and complaints of one chunk of interactions.

Ids are derived from the interaction number (``TK``/``SV``/``CP`` + the 9 digits of ``INT…``), so they
are unique across chunks without shared counters. A repeat contact updates its primary's ticket.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from csqm.generate import plan as P
from csqm.generate.banks import catalog, reference, texts
from csqm.generate.chunk import Chunk
from csqm.generate.org import Org, agent_column, team_column
from csqm.generate.people import VIP, Customers
from csqm.generate.records import Columns, identity_columns
from csqm.generate.textkit import choose, join, num, take
from csqm.generate.writer import ts

#: Ticket probability per topic (catalog order: logistics returns billing product repair membership
#: complaint security).
_TICKET_P = np.array([0.12, 0.55, 0.35, 0.08, 0.65, 0.1, 0.8, 0.45])
_COMPLEX_TOPICS = ("repair", "complaint", "security")


def ticket_rows(chunk: Chunk, rng: np.random.Generator) -> tuple[np.ndarray, pa.Array]:
    """(rows that open a ticket, ticket id per interaction row or null)."""
    d, h = chunk.draw, chunk.handling
    handled = ~h.abandoned & (d.channel != P.SELF_SERVICE) & ((h.team >= 0) | (d.channel == P.BOT))
    p = np.where(d.channel == P.EMAIL, 0.8, _TICKET_P[d.topic])
    p = np.where(h.escalated, np.maximum(p, 0.8), p) + 0.15 * ~h.resolved
    opens = handled & (rng.random(chunk.n) < p)
    parent = d.repeat_of
    is_rep = parent >= 0
    opens &= ~is_rep | ~opens[np.maximum(parent, 0)]
    number = np.arange(chunk.first + 1, chunk.first + chunk.n + 1)
    owner = np.where(opens, number, 0)
    owner = np.where(is_rep & opens[np.maximum(parent, 0)], number[np.maximum(parent, 0)], owner)
    ids = join("TK", num(owner, 9))
    return np.flatnonzero(opens), choose(owner > 0, ids, pa.scalar(None, pa.string()))


def ticket_columns(
    chunk: Chunk, rows: np.ndarray, org: Org, people: Customers, lang: str, rng: np.random.Generator
) -> Columns:
    """tickets.csv rows for the contacts ``rows`` that opened one."""
    d, h, t = chunk.draw, chunk.handling, chunk.timing
    n, ref = len(rows), reference(lang)
    topic = d.topic[rows]
    complex_topic = np.isin(topic, [ref.topic(c) for c in _COMPLEX_TOPICS])
    is_complex = rng.random(n) < np.where(complex_topic, 0.5, 0.1)
    angry = chunk.flags.angry[rows]
    vip = people.segment[d.cust[rows]] == VIP
    priority = np.select([angry & (topic == ref.topic("complaint")), angry | vip, rng.random(n) < 0.15], [3, 2, 0], 1)
    created = d.offered[rows] + (t.wait[rows] + np.minimum(t.talk[rows], t.span[rows])).astype(np.int64)
    first = created + (480 * rng.lognormal(0, 1.0, n)).astype(np.int64)
    open_ = (rng.random(n) < 0.06) | ((created > chunk.draw.offered.max() - 2 * P.DAY) & (rng.random(n) < 0.5))
    hours = np.where(is_complex, 10.0, 2.0) * rng.lognormal(0, 0.9, n)
    resolved = np.maximum(first, created + (hours * P.HOUR).astype(np.int64))
    closed = resolved + rng.integers(0, 72 * P.HOUR, n)
    has_repeat = np.isin(rows, d.repeat_of[d.repeat_of >= 0])
    total = np.where(is_complex, 12, 8)
    missing = np.where(rng.random(n) < 0.12, rng.integers(1, 4, n), 0)
    mask = chunk.ident[rows].copy()
    mask[:, 5] |= people.has[d.cust[rows], 5]
    cols: Columns = {
        "ticket_id": join("TK", num(rows + chunk.first + 1, 9)),
        "interaction_id": take(chunk.ids, rows),
        "agent_id": agent_column(org, h.agent[rows]),
        "team_id": team_column(org, h.team[rows]),
        "channel": take(pa.array(P.CHANNELS), d.channel[rows]),
        "category": take(pa.array(ref.topic_names), topic),
        "priority": take(pa.array(["low", "normal", "high", "urgent"]), priority),
        "is_complex": is_complex,
        "created_at": ts(created),
        "first_response_at": ts(first),
        "resolved_at": ts(resolved, ~open_),
        "closed_at": ts(closed, ~open_ & (rng.random(n) > 0.1)),
        "reopen_count": has_repeat.astype(np.int64) + (rng.random(n) < 0.03),
        "mandatory_fields_total": total,
        "mandatory_fields_filled": total - missing,
    }
    cols.update(identity_columns(people, d.cust[rows], mask))
    return cols


def survey_columns(chunk: Chunk, org: Org, people: Customers, lang: str, rng: np.random.Generator) -> Columns:
    """surveys.csv rows: CSAT/NPS/CES, unanswered surveys, comments, pseudo-satisfied customers."""
    d, h, f = chunk.draw, chunk.handling, chunk.flags
    human = h.team >= 0
    sent_p = np.where(human, 0.5, np.where(d.channel == P.BOT, 0.2, 0.0))
    rows = np.flatnonzero(~h.abandoned & ((rng.random(chunk.n) < sent_p) | d.bad))
    n, week = len(rows), d.day[rows] // 7
    answered = (rng.random(n) < 0.6) | d.bad[rows]
    mean = np.where(h.resolved[rows], 4.5, 2.7) - 0.8 * f.forbidden[rows] - 0.6 * f.negative[rows]
    mean -= 0.25 * (h.team[rows] == org.team(P.FORBIDDEN_TEAM))
    mean -= 0.15 * week * (h.agent[rows] == org.agent(P.DEGRADING_AGENT))
    mean += 0.3 * f.big_thanks[rows]
    csat = np.where(d.bad[rows], 1.0, np.clip(np.round(mean + rng.normal(0, 0.7, n)), 1, 5))
    nps = np.clip(np.round(2.2 * csat - 1.5 + rng.normal(0, 1.3, n)), 0, 10)
    ces = np.clip(np.round(1.4 * csat + rng.normal(0, 0.9, n)), 1, 7)
    comment = _comments(csat, answered, d.bad[rows], lang, rng)
    sent = chunk.ended[rows] + rng.integers(60, 900, n)
    nan = np.full(n, np.nan)
    cols: Columns = {
        "survey_id": join("SV", num(rows + chunk.first + 1, 9)),
        "interaction_id": take(chunk.ids, rows),
        "sent_at": ts(sent),
        "answered_at": ts(sent + (3600 * rng.lognormal(0, 1.2, n)).astype(np.int64), answered),
        "csat": np.where(answered, csat, nan),
        "nps": np.where(answered, nps, nan),
        "ces": np.where(answered, ces, nan),
        "comment": comment,
    }
    cols.update(identity_columns(people, d.cust[rows], chunk.ident[rows]))
    return cols


def _comments(csat: np.ndarray, answered: np.ndarray, bad: np.ndarray, lang: str, rng: np.random.Generator) -> pa.Array:
    bank = texts(lang)["comments"]
    n = len(csat)
    u = rng.random((n, 2))
    pseudo = answered & (csat >= 4) & (u[:, 0] < P.PSEUDO_SHARE)
    kind = np.select(
        [pseudo, csat >= 4, csat >= 3], [3, np.where(u[:, 1] < 0.85, 0, 1), np.where(u[:, 1] < 0.5, 1, 2)], 2
    )
    has = answered & ((u[:, 0] > 0.45) | pseudo | bad)
    groups = [bank[k] for k in ("positive", "neutral", "negative", "pseudo")]
    flat = pa.array([c for g in groups for c in g] + [None], type=pa.string())
    offset = np.cumsum([0] + [len(g) for g in groups])
    pick = offset[kind] + (rng.random(n) * (offset[kind + 1] - offset[kind])).astype(np.int64)
    return take(flat, np.where(has, pick, len(flat) - 1))


def complaint_columns(
    chunk: Chunk, tickets: pa.Array, people: Customers, lang: str, rng: np.random.Generator
) -> Columns:
    """complaints.csv rows; the logistics region files far more logistics complaints."""
    d, h, f = chunk.draw, chunk.handling, chunk.flags
    ref = reference(lang)
    logistics, complaint = ref.topic("logistics"), ref.topic("complaint")
    human = h.team >= 0
    region_hit = (people.region[d.cust] == _region_index()) & (d.topic == logistics) & (people.line[d.cust] == 0)
    p = np.select(
        [d.bad, human & (d.topic == complaint), region_hit & ~h.abandoned],
        [1.0, 0.5, 0.3],
        0.006 + 0.12 * f.forbidden + 0.15 * f.negative + 0.04 * ~h.resolved * human,
    )
    rows = np.flatnonzero(rng.random(chunk.n) < p)
    n = len(rows)
    topic = d.topic[rows]
    other = rng.choice([t for t in range(len(ref.topic_codes)) if t != complaint], n)
    attitude = d.bad[rows] | ((f.forbidden[rows] | f.negative[rows]) & (rng.random(n) < 0.6))
    category = np.where(attitude, len(ref.topic_codes), np.where(topic == complaint, other, topic))
    names = pa.array([*ref.topic_names, ref.attitude])
    severity = np.where(d.bad[rows], 2, (rng.random(n)[:, None] > [0.7, 0.95]).sum(axis=1))
    created = chunk.ended[rows] + rng.integers(0, 2 * P.DAY, n)
    resolved = created + rng.integers(P.DAY, 10 * P.DAY, n)
    cols: Columns = {
        "complaint_id": join("CP", num(rows + chunk.first + 1, 9)),
        "interaction_id": take(chunk.ids, rows),
        "ticket_id": take(tickets, rows),
        "channel": take(pa.array(P.CHANNELS), d.channel[rows]),
        "category": take(names, category),
        "severity": take(pa.array(catalog()["severities"][lang]), severity),
        "product": take(pa.array(ref.product_names), d.product[rows]),
        "region": take(pa.array(ref.region_names), people.region[d.cust[rows]]),
        "created_at": ts(created),
        "resolved_at": ts(resolved, rng.random(n) < 0.8),
        "description": _descriptions(category, lang, rng),
    }
    cols.update(identity_columns(people, d.cust[rows], chunk.ident[rows]))
    return cols


def _region_index() -> int:
    return [r["zh"] for r in catalog()["regions"]].index(P.LOGISTICS_REGION)


def _descriptions(category: np.ndarray, lang: str, rng: np.random.Generator) -> pa.Array:
    bank = texts(lang)["topics"]
    codes = [*reference(lang).topic_codes, "complaint"]
    groups = [bank[c]["complaint"] for c in codes]
    flat = pa.array([c for g in groups for c in g], type=pa.string())
    offset = np.cumsum([0] + [len(g) for g in groups])
    count = offset[category + 1] - offset[category]
    return take(flat, offset[category] + (rng.random(len(category)) * count).astype(np.int64))
