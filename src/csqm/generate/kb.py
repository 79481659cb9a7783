"""Knowledge-base events: agents searching and viewing articles during contacts, customers searching
in self-service, and editors updating articles (all launched-product articles in the launch week)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa

from csqm.generate import plan as P
from csqm.generate.banks import reference, texts
from csqm.generate.chunk import Chunk
from csqm.generate.org import Org, agent_column
from csqm.generate.people import Customers
from csqm.generate.records import Columns, identity_columns
from csqm.generate.textkit import Templates, choose, join, num, take
from csqm.generate.writer import ts


@dataclass(frozen=True)
class Articles:
    """The article catalogue: id, title, topic, product (-1: any product)."""

    ids: pa.Array
    titles: pa.Array
    topic: np.ndarray
    product: np.ndarray
    lookup_offset: np.ndarray  # (n_topics, n_products) into lookup
    lookup_count: np.ndarray
    lookup: np.ndarray


@cache
def articles(lang: str) -> Articles:
    """One article per topic title, or per title and product when the title names a product."""
    ref, bank = reference(lang), texts(lang)["topics"]
    titles, topic, product = [], [], []
    for t, code in enumerate(ref.topic_codes):
        for title in bank[code]["kb_title"]:
            targets = range(len(ref.product_names)) if "{product}" in title else [-1]
            for p in targets:
                titles.append(title.replace("{product}", ref.product_names[p]) if p >= 0 else title)
                topic.append(t)
                product.append(p)
    topic_a, product_a = np.array(topic), np.array(product)
    n_t, n_p = len(ref.topic_codes), len(ref.product_names)
    offset, count = np.zeros((n_t, n_p), int), np.zeros((n_t, n_p), int)
    lookup: list[int] = []
    for t in range(n_t):
        for p in range(n_p):
            match = np.flatnonzero((topic_a == t) & ((product_a == p) | (product_a == -1)))
            offset[t, p], count[t, p] = len(lookup), len(match)
            lookup.extend(match.tolist())
    ids = join("KB-", num(np.arange(1, len(titles) + 1), 4))
    return Articles(ids, pa.array(titles), topic_a, product_a, offset, count, np.array(lookup))


@cache
def _queries(lang: str) -> tuple[Templates, np.ndarray, np.ndarray]:
    bank, codes = texts(lang)["topics"], reference(lang).topic_codes
    groups = [bank[c]["kb_query"] for c in codes]
    offset = np.cumsum([0] + [len(g) for g in groups])
    return Templates.compile([q for g in groups for q in g]), offset[:-1], np.diff(offset)


def kb_columns(
    chunk: Chunk, slots: pa.Array, people: Customers, org: Org, plan: P.Plan, rng: np.random.Generator
) -> Columns:
    """Search, view and feedback events of the contacts of a chunk."""
    d, h, art = chunk.draw, chunk.handling, articles(plan.lang)
    launched = (d.product == reference(plan.lang).product(P.LAUNCH_PRODUCT)) & (d.day // 7 == plan.launch_week)
    human, selfserve = h.team >= 0, np.isin(d.channel, (P.SELF_SERVICE, P.BOT)) & (h.team < 0)
    p = np.where(human, np.where(launched, 0.6, 0.22), np.where(selfserve, 0.4, 0.0)) * ~h.abandoned
    rows = np.flatnonzero(rng.random(chunk.n) < p)
    n = len(rows)
    view = rng.random(n) < 0.85
    feedback = view & (rng.random(n) < 0.3)
    depth = 1 + view + feedback
    ev_row = np.repeat(rows, depth)
    step = np.arange(len(ev_row)) - np.repeat(np.cumsum(depth) - depth, depth)
    helpful = np.repeat(rng.random(n) < 0.75, depth)
    event = np.where(step == 0, 0, np.where(step == 1, 1, np.where(helpful, 3, 4)))
    start = d.offered[rows] + chunk.timing.wait[rows].astype(np.int64) + rng.integers(5, 120, n)
    at = np.repeat(start, depth) + step * rng.integers(5, 40, len(ev_row))
    topic, product = d.topic[ev_row], d.product[ev_row]
    pick = art.lookup_offset[topic, product] + (rng.random(len(ev_row)) * art.lookup_count[topic, product]).astype(int)
    article = np.repeat(art.lookup[pick][np.cumsum(depth) - depth], depth)
    queries, q_off, q_cnt = _queries(plan.lang)
    q_tid = q_off[topic] + (rng.random(len(ev_row)) * q_cnt[topic]).astype(int)
    query = join(*queries.render(q_tid, ev_row, slots, chunk.n))
    agent_row = human[ev_row]
    ident = identity_columns(people, d.cust[ev_row], chunk.ident[ev_row] & ~agent_row[:, None])
    cols: Columns = {
        "event_id": join("KE", num(ev_row + chunk.first + 1, 9), "-", num(step + 1)),
        "event": take(pa.array(["search", "view", "update", "helpful", "unhelpful"]), event),
        "occurred_at": ts(at),
        "article_id": choose(step > 0, take(art.ids, article), pa.scalar(None, pa.string())),
        "article_title": choose(step > 0, take(art.titles, article), pa.scalar(None, pa.string())),
        "query": choose(step == 0, query, pa.scalar(None, pa.string())),
        "agent_id": agent_column(org, h.agent[ev_row]),
        "interaction_id": take(chunk.ids, ev_row),
    }
    cols.update(ident)
    return cols


def update_columns(plan: P.Plan, org: Org) -> Columns:
    """Article updates by experts: ~4 % of articles a week, every launched-product article in the
    launch week (on its Monday)."""
    rng, art = plan.rng(30), articles(plan.lang)
    launch = reference(plan.lang).product(P.LAUNCH_PRODUCT)
    experts = np.flatnonzero(org.agent_role == 1)
    weekly = rng.random((plan.weeks, len(art.topic))) < 0.04
    weekly[plan.launch_week] |= art.product == launch
    week, article = np.nonzero(weekly)
    when = plan.t0 + (week * 7 * P.DAY) + rng.integers(9 * P.HOUR, 18 * P.HOUR, len(week))
    first_day = (week == plan.launch_week) & (art.product[article] == launch)
    when = np.where(first_day, plan.t0 + week * 7 * P.DAY + 9 * P.HOUR, when + rng.integers(0, 5, len(week)) * P.DAY)
    return {
        "event_id": join("KU", num(np.arange(1, len(week) + 1), 9)),
        "event": pa.array(["update"] * len(week)),
        "occurred_at": ts(when),
        "article_id": take(art.ids, article),
        "article_title": take(art.titles, article),
        "agent_id": agent_column(org, experts[rng.integers(0, len(experts), len(week))]),
    }
