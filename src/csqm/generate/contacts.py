"""Who contacts us, when, on which channel, about what, and who answers (one chunk of interactions).

A chunk is drawn as *primary* contacts plus *repeat* contacts: a repeat is the same customer coming
back about the same topic and product within 24 hours of a primary contact (more often when it was
not resolved, and far more often after a contact with the forbidden-phrase team). Repeats are what
first-contact resolution measures.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from csqm.generate import plan as P
from csqm.generate.banks import catalog, reference
from csqm.generate.org import Org
from csqm.generate.people import Customers

# Channel mix per business line (CHANNELS order: phone chat email social store self_service bot).
_CHANNEL_P = np.array([[0.36, 0.24, 0.05, 0.06, 0.06, 0.06, 0.17], [0.45, 0.2, 0.25, 0.0, 0.0, 0.05, 0.05]])
_HOURS: dict[str, list[float]] = {
    "phone": [0, 0, 0, 0, 0, 0, 0, 0, 3, 8, 10, 9, 7, 6, 8, 9, 8, 7, 5, 4, 4, 3, 2, 0],
    "text": [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.5, 1, 3, 6, 8, 8, 7, 6, 7, 8, 8, 7, 6, 6, 7, 7, 5, 3],
    "store": [0.0] * 10 + [5, 7, 7, 8, 9, 9, 8, 7, 6, 5, 4] + [0.0] * 3,
}
_HOUR_GROUP = np.array([0, 1, 1, 1, 2, 1, 1])  # channel -> hour profile
_WEEKDAY = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.75, 0.65])


@dataclass(frozen=True)
class Draw:
    """The attributes of contacts before routing and behaviour are decided."""

    cust: np.ndarray
    channel: np.ndarray
    day: np.ndarray
    offered: np.ndarray
    topic: np.ndarray
    product: np.ndarray
    outbound: np.ndarray
    bad: np.ndarray  # planted bad experience of a churning customer
    repeat_of: np.ndarray  # index of the primary contact, -1 for primaries

    def take(self, index: np.ndarray) -> Draw:
        return Draw(*(getattr(self, f.name)[index] for f in fields(self)))

    def concat(self, other: Draw) -> Draw:
        return Draw(*(np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self)))


class Drawer:
    """Draws contacts for one run (customers, calendar, catalog weights fixed up front)."""

    def __init__(self, plan: P.Plan, people: Customers, org: Org) -> None:
        self.plan, self.people, self.org = plan, people, org
        self.ref = reference(plan.lang)
        weekday = _WEEKDAY[(plan.start.weekday() + np.arange(plan.days)) % 7]
        launch = (np.arange(plan.days) // 7) == plan.launch_week
        self.day_cdf = np.cumsum(weekday * np.where(launch, 1.25, 1.0))
        self.hour_cdf = np.array([np.cumsum(_HOURS[g]) for g in ("phone", "text", "store")], dtype=float)
        self.hour_cdf /= self.hour_cdf[:, -1:]
        regions = [r["zh"] for r in catalog()["regions"]]
        self.logistics_region = regions.index(P.LOGISTICS_REGION)
        self.launch = self.ref.product(P.LAUNCH_PRODUCT)

    def primaries(self, n: int, rng: np.random.Generator) -> Draw:
        """``n`` independent contacts; the first ones are the planted bad experiences (chunk 0)."""
        cust = self.people.sample(rng, n)
        day = np.searchsorted(self.day_cdf, rng.random(n) * self.day_cdf[-1], side="right")
        return self._complete(cust, day, np.zeros(n, dtype=bool), rng)

    def bad_experiences(self, rng: np.random.Generator) -> Draw:
        """One phone contact per churning customer on their churn day."""
        cust = np.flatnonzero(self.people.churn_day >= 0)
        draw = self._complete(cust, self.people.churn_day[cust], np.ones(len(cust), dtype=bool), rng)
        bad_topics = np.array([self.ref.topic(t) for t in ("returns", "repair", "logistics")])
        return replace(
            draw,
            channel=np.full(len(cust), P.PHONE),
            topic=bad_topics[rng.integers(0, 3, len(cust))],
            offered=self._offered(draw.day, np.full(len(cust), P.PHONE), rng),
            outbound=np.zeros(len(cust), dtype=bool),
        )

    def _complete(self, cust: np.ndarray, day: np.ndarray, bad: np.ndarray, rng: np.random.Generator) -> Draw:
        n, line = len(cust), self.people.line[cust]
        channel = self._channel(cust, line, rng)
        outbound = np.isin(channel, (P.PHONE, P.EMAIL)) & (rng.random(n) < np.where(line == 1, 0.15, 0.04))
        return Draw(
            cust=cust,
            channel=channel,
            day=day,
            offered=self._offered(day, channel, rng),
            topic=self._topic(cust, line, rng),
            product=self._product(line, day, rng),
            outbound=outbound,
            bad=bad,
            repeat_of=np.full(n, -1),
        )

    def _channel(self, cust: np.ndarray, line: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        cdf = np.cumsum(_CHANNEL_P[line], axis=1)
        channel = (rng.random(len(cust))[:, None] > cdf).sum(axis=1)
        has = self.people.has[cust]
        missing = (
            ((channel == P.PHONE) & ~has[:, 0])
            | ((channel == P.EMAIL) & ~has[:, 1])
            | ((channel == P.SOCIAL) & ~has[:, 4] & ~has[:, 2])
        )
        return np.where(missing, P.CHAT, np.minimum(channel, P.BOT))

    def _offered(self, day: np.ndarray, channel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        cdf = self.hour_cdf[_HOUR_GROUP[channel]]
        hour = (rng.random(len(day))[:, None] > cdf).sum(axis=1)
        second = hour * P.HOUR + rng.integers(0, P.HOUR, len(day))
        return np.asarray(self.plan.t0 + day.astype(np.int64) * P.DAY + second)

    def _topic(self, cust: np.ndarray, line: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        weights = self.ref.topic_weights[line].copy()
        logistics = self.ref.topic("logistics")
        gd = (self.people.region[cust] == self.logistics_region) & (line == 0)
        weights[gd, logistics] *= 2.0
        cdf = np.cumsum(weights, axis=1)
        return np.asarray((rng.random(len(cust))[:, None] * cdf[:, -1:] > cdf).sum(axis=1))

    def _product(self, line: np.ndarray, day: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        ref, n = self.ref, len(line)
        w = np.stack([ref.product_weight * (ref.product_line == k) for k in (0, 1)])
        cdf = np.cumsum(w, axis=1)
        product = (rng.random(n)[:, None] * cdf[line, -1:] > cdf[line]).sum(axis=1)
        week = day // 7
        launch, after = week == self.plan.launch_week, week > self.plan.launch_week
        share = np.where(launch, np.where(line == 0, 0.35, 0.25), np.where(after, 0.1, 0.0))
        return np.where(rng.random(n) < share, self.launch, product)

    def repeats(self, base: Draw, parent: np.ndarray, rng: np.random.Generator) -> Draw:
        """Repeat contacts of ``parent`` rows: 55 % within 2 hours, the rest within 24 hours."""
        rep = base.take(parent)
        n = len(parent)
        soon = rng.random(n) < 0.55
        delay = np.where(soon, rng.uniform(5 * 60, 115 * 60, n), rng.uniform(2.2 * P.HOUR, 23.5 * P.HOUR, n))
        offered = rep.offered + delay.astype(np.int64)
        has_phone = self.people.has[rep.cust, 0]
        switch = (rng.random(n) < 0.3) & np.isin(rep.channel, (P.PHONE, P.CHAT))
        channel = np.where(switch, np.where((rep.channel == P.CHAT) & has_phone, P.PHONE, P.CHAT), rep.channel)
        day = ((offered - self.plan.t0) // P.DAY).astype(np.int64)
        return replace(
            rep,
            channel=channel,
            offered=offered,
            day=day,
            outbound=np.zeros(n, dtype=bool),
            bad=np.zeros(n, dtype=bool),
            repeat_of=parent,
        )


def route(
    draw: Draw, abandoned: np.ndarray, escalated: np.ndarray, org: Org, people: Customers, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(team, agent) per contact; -1 where no human handled it."""
    n = len(draw.cust)
    line = people.line[draw.cust]
    hub = reference("zh").region_hub[people.region[draw.cust]]
    t = {tid: org.team(tid) for tid in org.team_ids}
    u = rng.random(n)
    hotline = np.select([u < 1 / 3, u < 2 / 3], [t["T01"], t["T02"]], t["T05"])
    repair = (draw.topic == reference("zh").topic("repair")) & (rng.random(n) < 0.4)
    hotline = np.where(repair, t["T07"], hotline)
    online = np.where(rng.random(n) < 0.5, t["T03"], t["T06"])
    toc = np.select([draw.channel == P.PHONE, draw.channel == P.STORE], [hotline, np.full(n, t["T07"])], online)
    team = np.where(line == 1, np.where(hub == 0, t["T04"], t["T08"]), toc)
    automated = np.isin(draw.channel, (P.BOT, P.SELF_SERVICE)) & ~escalated
    team = np.where(abandoned | automated, -1, team)
    return team, org.route(team, draw.day, rng)
