"""How contacts go: abandonment, resolution, timings and the conversational flags the transcripts
and outcomes are built from. The planted problems that live in contacts are applied here."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csqm.generate import plan as P
from csqm.generate.banks import reference
from csqm.generate.contacts import Draw, route
from csqm.generate.org import Org
from csqm.generate.people import VIP, Customers

#: Median talk seconds per channel (CHANNELS order) and resolution rate per topic (catalog order).
_TALK = np.array([260.0, 420.0, 360.0, 300.0, 540.0, 80.0, 100.0])
_ACW = np.array([[20, 90], [10, 45], [60, 300], [10, 45], [30, 120], [0, 0], [0, 0]], dtype=float)
_RESOLVE = np.array([0.78, 0.72, 0.75, 0.88, 0.65, 0.85, 0.55, 0.75])
_ABANDON = np.array([0.07, 0.04, 0.0, 0.03, 0.0, 0.0, 0.0])


@dataclass(frozen=True)
class Handling:
    """Who handled a contact and whether it was resolved."""

    abandoned: np.ndarray
    escalated: np.ndarray
    team: np.ndarray
    agent: np.ndarray
    transfers: np.ndarray
    resolved: np.ndarray


def handle(draw: Draw, org: Org, people: Customers, plan: P.Plan, rng: np.random.Generator) -> Handling:
    """Abandonment, escalation of bots, routing, transfers and resolution."""
    n = len(draw.cust)
    abandoned = ~draw.outbound & ~draw.bad & (draw.repeat_of < 0) & (rng.random(n) < _ABANDON[draw.channel])
    escalated = (draw.channel == P.BOT) & (rng.random(n) < 0.25)
    team, agent = route(draw, abandoned, escalated, org, people, rng)
    u = rng.random(n)
    transfers = np.where(team >= 0, (u < 0.07).astype(np.int64) + (u < 0.01), 0)
    week = draw.day // 7
    p = _RESOLVE[draw.topic].copy()
    p = np.where(draw.channel == P.BOT, np.where(escalated, p, 0.55), p)
    p = np.where(draw.channel == P.SELF_SERVICE, 0.7, p)
    p = np.where(team == org.team(P.FORBIDDEN_TEAM), p * 0.7, p)
    p = np.where(agent == org.agent(P.DEGRADING_AGENT), p - 0.03 * week, p)
    launch = (draw.product == reference("zh").product(P.LAUNCH_PRODUCT)) & (week == plan.launch_week)
    p = p - 0.08 * launch - 0.1 * (transfers > 0)
    resolved = (rng.random(n) < p) & ~abandoned & ~draw.bad
    return Handling(abandoned, escalated, team, agent, transfers, resolved)


def concat(a: Handling, b: Handling) -> Handling:
    return Handling(*(np.concatenate([x, y]) for x, y in zip(vars(a).values(), vars(b).values(), strict=True)))


def take(h: Handling, index: np.ndarray) -> Handling:
    return Handling(*(x[index] for x in vars(h).values()))


@dataclass(frozen=True)
class Timing:
    """Seconds: queue wait (offered -> answered, or -> hang-up), talk, hold, wrap-up, answered -> ended."""

    wait: np.ndarray
    talk: np.ndarray
    hold: np.ndarray
    acw: np.ndarray
    span: np.ndarray
    first_response: np.ndarray  # NaN where not an online channel


def timing(draw: Draw, h: Handling, org: Org, people: Customers, plan: P.Plan, rng: np.random.Generator) -> Timing:
    """Durations, with the launch-week and degrading-agent effects."""
    n, ch = len(draw.cust), draw.channel
    week, human = draw.day // 7, h.team >= 0
    factor = np.where(people.line[draw.cust] == 1, 1.2, 1.0)
    launched = draw.product == reference("zh").product(P.LAUNCH_PRODUCT)
    in_launch = week == plan.launch_week
    factor *= np.where(in_launch, np.where(launched, P.LAUNCH_TALK_FACTOR, P.LAUNCH_OTHER_FACTOR), 1.0)
    factor *= np.where(h.agent == org.agent(P.DEGRADING_AGENT), 1 + P.DEGRADE_TALK_PER_WEEK * week, 1.0)
    talk = _TALK[ch] * rng.lognormal(0, 0.5, n) * factor + 90 * h.transfers
    talk = np.where(h.escalated, talk + 60 + 300 * rng.lognormal(0, 0.5, n), talk)
    hold_p = np.where(ch == P.PHONE, 0.35, np.where(ch == P.STORE, 0.2, 0.0)) * human
    hold = np.where(rng.random(n) < hold_p, rng.uniform(15, 180, n), 0.0)
    acw = np.where(human, rng.uniform(_ACW[ch, 0], _ACW[ch, 1]) * factor, 0.0)
    busy = np.where(in_launch, 1.5, 1.0)
    wait = np.select(
        [h.abandoned, draw.outbound, ch == P.PHONE, ch == P.STORE],
        [5 + rng.exponential(75, n), rng.uniform(5, 25, n), rng.exponential(40, n) * busy, rng.exponential(180, n)],
        0.0,
    )
    first = np.select(
        [ch == P.CHAT, ch == P.SOCIAL, ch == P.EMAIL],
        [5 + rng.exponential(20, n) * busy, 60 + rng.exponential(900, n), 3 * P.HOUR * rng.lognormal(0, 0.8, n)],
        np.nan,
    )
    first = np.where(h.abandoned | draw.outbound, np.nan, first)
    wait = np.where(np.isnan(first), wait, first)
    span = np.select(
        [ch == P.PHONE, ch == P.SOCIAL, ch == P.EMAIL],
        [talk + hold, talk * 3, np.maximum(talk, 6 * P.HOUR * rng.lognormal(0, 0.8, n))],
        talk,
    )
    zero = h.abandoned
    return Timing(
        wait=np.round(wait),
        talk=np.where(zero, 0.0, np.round(talk)),
        hold=np.where(zero, 0.0, np.round(hold)),
        acw=np.where(zero, 0.0, np.round(acw)),
        span=np.where(zero, 0.0, np.round(span)),
        first_response=np.round(first),
    )


@dataclass(frozen=True)
class Flags:
    """What happens in the conversation (drives the transcript and the outcomes)."""

    forbidden: np.ndarray
    negative: np.ndarray
    history: np.ndarray
    pii: np.ndarray  # 0 none, 1 phone, 2 ID number, 3 e-mail, 4 bank card
    leak: np.ndarray  # the agent reads out the full ID number
    big_thanks: np.ndarray
    angry: np.ndarray
    escalate: np.ndarray  # an angry customer handed to a senior agent


def flags(draw: Draw, h: Handling, org: Org, people: Customers, rng: np.random.Generator) -> Flags:
    """Conversation flags, including forbidden phrases (team) and negative phrases (agent)."""
    n, human = len(draw.cust), h.team >= 0
    week = draw.day // 7
    u = rng.random((n, 9))
    forbidden_p = np.where(h.team == org.team(P.FORBIDDEN_TEAM), P.FORBIDDEN_RATE, P.BASE_FORBIDDEN)
    forbidden = human & (u[:, 0] < forbidden_p)
    degrading = h.agent == org.agent(P.DEGRADING_AGENT)
    negative = human & (u[:, 1] < np.where(degrading, P.DEGRADE_NEGATIVE_PER_WEEK * week, 0.004))
    senior = np.isin(org.agent_role[np.maximum(h.agent, 0)], (1, 2))
    vip = people.segment[draw.cust] == VIP
    history = human & people.has[draw.cust, 5] & (u[:, 2] < np.where(vip | senior, 0.3, 0.06))
    spoken = human & np.isin(draw.channel, (P.PHONE, P.CHAT, P.SOCIAL, P.STORE))
    kind = 1 + (u[:, 4][:, None] > np.array([0.5, 0.7, 0.82])).sum(axis=1)
    has = people.has[draw.cust]
    kind = np.where(((kind == 1) & ~has[:, 0]) | ((kind == 3) & ~has[:, 1]), 2, kind)  # only known identifiers
    pii = np.where(spoken & (u[:, 3] < 0.12), kind, 0).astype(np.int8)
    leak = human & (draw.channel == P.PHONE) & (u[:, 5] < 0.006)
    big_thanks = human & h.resolved & ~forbidden & ~negative & (u[:, 6] < 0.12)
    unhappy = (~h.resolved & (u[:, 7] < 0.2)) | (forbidden & (u[:, 7] < 0.35)) | (negative & (u[:, 7] < 0.3))
    angry = human & (draw.bad | unhappy)
    return Flags(forbidden, negative, history, pii, leak, big_thanks, angry, angry & (u[:, 8] < 0.4))


def identities(draw: Draw, people: Customers, rng: np.random.Generator) -> np.ndarray:
    """(n, 6) mask of the identity fields each contact row carries (IDENTITIES order)."""
    n, ch = len(draw.cust), draw.channel
    has = people.has[draw.cust]
    u = rng.random((n, 3))
    phone, wechat, member, social, crm = (has[:, k] for k in (0, 2, 3, 4, 5))
    primary = np.select(
        [
            ch == P.PHONE,
            ch == P.EMAIL,
            (ch == P.SOCIAL) & social,
            ch == P.SOCIAL,
            (ch == P.STORE) & crm & (u[:, 0] < 0.6),
            ch == P.STORE,
            wechat & (u[:, 0] < 0.75),
            crm,
        ],
        [0, 1, 4, 2, 5, 0, 2, 5],
        0,
    )
    primary = np.where((primary == 0) & ~phone, np.where(wechat, 2, 5), primary)
    mask = np.zeros((n, 6), dtype=bool)
    mask[np.arange(n), primary] = True
    extra_crm = np.select([ch == P.PHONE, ch == P.STORE, ch == P.EMAIL], [0.25, 0.3, 0.1], 0.15)
    mask[:, 5] |= crm & (u[:, 1] < extra_crm)
    mask[:, 2] |= (ch == P.SOCIAL) & social & wechat & (u[:, 2] < 0.4)
    mask[:, 3] |= (ch == P.STORE) & member & (u[:, 2] < 0.5)
    return mask
