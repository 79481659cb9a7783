"""Sizes, calendar and the planted problems of one generation run.

Everything the monitoring must later find is decided here, so ``docs/demo-data.md`` and the tests
can refer to one place. Times inside the generator are ``int64`` seconds since 1970-01-01 00:00 of
*local* (Asia/Shanghai) wall-clock time, i.e. naive local timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

DAY = 86_400
HOUR = 3_600

#: Channels the generator emits (a subset of the schema's CHANNELS), in code order.
CHANNELS = ("phone", "chat", "email", "social", "store", "self_service", "bot")
PHONE, CHAT, EMAIL, SOCIAL, STORE, SELF_SERVICE, BOT = range(7)

#: Identity fields in code order (input columns ``customer_<kind>``).
IDENTITIES = ("phone", "email", "wechat", "member_id", "social_handle", "crm_id")

#: Planted problem 1: this team overuses forbidden phrases and has low first-contact resolution.
FORBIDDEN_TEAM = "T05"
FORBIDDEN_RATE = 0.40  # share of the team's handled calls with a forbidden phrase (others: BASE_FORBIDDEN)
BASE_FORBIDDEN = 0.006
#: Planted problem 2: this region's complaints concentrate on logistics look-ups.
LOGISTICS_REGION = "广东"
#: Planted problem 3: this product is launched in the launch week (ToC and, as bulk purchases, ToB);
#: handle time rises in every team.
LAUNCH_PRODUCT = "X3"
LAUNCH_TALK_FACTOR = 1.8  # talk time of contacts about the launched product, launch week
LAUNCH_OTHER_FACTOR = 1.2  # talk time of every other contact, launch week
#: Planted problem 4: this agent's service degrades week by week (the seat gets twice the contacts).
DEGRADING_AGENT = "A2003"
DEGRADE_TALK_PER_WEEK = 0.1  # talk time x (1 + 0.1 * week)
DEGRADE_NEGATIVE_PER_WEEK = 0.05  # share of contacts with a negative phrase: 0.05 * week
#: Planted problem 5: share of eligible customers (ToC, VIP/regular, with a CRM id) who churn.
CHURN_SHARE = 0.04
#: Planted problem 6: share of answered surveys with CSAT 4-5 whose comment is negative.
PSEUDO_SHARE = 0.08


@dataclass(frozen=True)
class Plan:
    """Parameters derived from the arguments of :func:`csqm.generate.generate`."""

    interactions: int
    seed: int
    lang: str
    start: date
    weeks: int
    chunk_size: int = 50_000

    @property
    def days(self) -> int:
        return self.weeks * 7

    @property
    def t0(self) -> int:
        """Local midnight of the first day, in generator seconds."""
        return (self.start - date(1970, 1, 1)).days * DAY

    @property
    def t_end(self) -> int:
        return self.t0 + self.days * DAY

    @property
    def launch_week(self) -> int:
        """0-based week of the product launch (week 5 of 12 by default)."""
        return min(self.weeks // 3, self.weeks - 1)

    def week_start(self, week: int) -> date:
        return self.start + timedelta(days=7 * week)

    @property
    def customers(self) -> int:
        return max(200, self.interactions // 4)

    @property
    def agents_per_team(self) -> int:
        return int(np.clip(self.interactions // 4000, 5, 40))

    @property
    def history_days(self) -> int:
        """Orders start this many days before ``start`` (for RFM)."""
        return 180

    def rng(self, *stream: int) -> np.random.Generator:
        """An independent, reproducible random stream for one part of the run."""
        return np.random.default_rng([self.seed, *stream])

    def chunks(self) -> list[tuple[int, int]]:
        """(first interaction number, size) of each chunk."""
        out = []
        for first in range(0, self.interactions, self.chunk_size):
            out.append((first, min(self.chunk_size, self.interactions - first)))
        return out


def day_label(plan: Plan, day: np.ndarray, lang: str) -> list[str]:
    """Spoken dates for day offsets (relative to ``start``), e.g. ``1月12号`` / ``Jan 12``."""
    out = []
    for d in day.tolist():
        when = plan.start + timedelta(days=int(d))
        out.append(f"{when.month}月{when.day}号" if lang == "zh" else when.strftime("%b %d").replace(" 0", " "))
    return out
