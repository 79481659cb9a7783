"""The organisation: centres, teams and agents, and the seats (slots) contacts are routed to.

Each team has ``agents_per_team`` seats. A seat is held by one agent for the whole period, or by a
leaver until ``left_on`` and then by the replacement hired the next day, so routing never gives a
contact to somebody who is not employed that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from csqm.generate import plan as P
from csqm.generate.banks import catalog
from csqm.generate.textkit import join, num, take

ROLES = ("general", "expert", "csm")
TEAM_KINDS = ("hotline", "online", "business", "store")


@dataclass(frozen=True)
class Org:
    """Teams and agents as arrays; agent ``a`` sits in team ``agent_team[a]``."""

    team_ids: tuple[str, ...]
    team_kind: np.ndarray
    team_line: np.ndarray
    team_centre: np.ndarray
    agent_ids: tuple[str, ...]
    agent_team: np.ndarray
    agent_role: np.ndarray
    agent_names: tuple[str, ...]
    hired: np.ndarray  # day offset relative to start (negative: before)
    left: np.ndarray  # day offset of the last working day, or a large number
    seat_first: np.ndarray  # agent holding the seat first
    seat_next: np.ndarray  # replacement (same as first if none)
    seat_switch: np.ndarray  # first day of the replacement
    team_seat0: np.ndarray  # first seat of each team
    seat_cum: np.ndarray  # cumulative routing weight of the seats (the degrading agent's seat weighs double)

    def team(self, team_id: str) -> int:
        return self.team_ids.index(team_id)

    def agent(self, agent_id: str) -> int:
        return self.agent_ids.index(agent_id)

    def route(self, team: np.ndarray, day: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """An agent of ``team`` (-1: none) on duty on ``day``; -1 where team is -1."""
        t = np.maximum(team, 0)
        lo = np.where(self.team_seat0[t] > 0, self.seat_cum[self.team_seat0[t] - 1], 0.0)
        hi = self.seat_cum[self.team_seat0[t + 1] - 1]
        seat = np.searchsorted(self.seat_cum, lo + rng.random(len(team)) * (hi - lo), side="right")
        agent = np.where(day >= self.seat_switch[seat], self.seat_next[seat], self.seat_first[seat])
        return np.where(team >= 0, agent, -1)

    def agent_no(self) -> pa.Array:
        """Employee numbers as spoken in greetings (the digits of the agent id)."""
        return pa.array([a[1:] for a in self.agent_ids], type=pa.string())


def make_org(plan: P.Plan) -> Org:
    """Teams from the catalog, ``agents_per_team`` seats each, a few leavers with replacements."""
    rng, teams, per = plan.rng(2), catalog()["teams"], plan.agents_per_team
    degrading_team, degrading_seat = int(P.DEGRADING_AGENT[1]) - 1, int(P.DEGRADING_AGENT[2:]) - 1
    ids: list[str] = []
    team_of, role, hired, left = [], [], [], []
    first, nxt, switch = [], [], []
    for t, team in enumerate(teams):
        extra = per
        for s in range(per):
            a = len(ids)
            ids.append(f"A{t + 1}{s + 1:03d}")
            team_of.append(t)
            role.append(1 if s == 0 else 2 if team["line"] == "ToB" and s in (1, 2) else 0)
            hired.append(-int(rng.integers(60, 2800)))
            leaves = s >= 3 and (t, s) != (degrading_team, degrading_seat) and rng.random() < 0.18
            first.append(a)
            if not leaves:
                left.append(10**6)
                nxt.append(a)
                switch.append(10**6)
                continue
            last = int(rng.integers(10, max(11, plan.days - 10)))
            left.append(last)
            extra += 1
            ids.append(f"A{t + 1}{extra:03d}")
            team_of.append(t)
            role.append(0)
            hired.append(last + 1)
            left.append(10**6)
            nxt.append(a + 1)
            switch.append(hired[-1])
    names = _staff_names(plan.lang, rng, len(ids))
    return Org(
        team_ids=tuple(t["id"] for t in teams),
        team_kind=np.array([TEAM_KINDS.index(t["kind"]) for t in teams]),
        team_line=np.array([t["line"] == "ToB" for t in teams], dtype=np.int8),
        team_centre=np.array([t["centre"] == "C02" for t in teams], dtype=np.int8),
        agent_ids=tuple(ids),
        agent_team=np.array(team_of),
        agent_role=np.array(role),
        agent_names=names,
        hired=np.array(hired),
        left=np.array(left),
        seat_first=np.array(first),
        seat_next=np.array(nxt),
        seat_switch=np.array(switch),
        team_seat0=np.arange(len(teams) + 1) * per,
        seat_cum=np.cumsum(np.where(np.arange(len(teams) * per) == degrading_team * per + degrading_seat, 2.0, 1.0)),
    )


def _staff_names(lang: str, rng: np.random.Generator, n: int) -> tuple[str, ...]:
    cat = catalog()
    sur, given = cat["surnames"], cat["given"]
    s, g1, g2 = rng.integers(0, 40, n), rng.integers(0, len(given), n), rng.integers(0, len(given), n)
    if lang == "zh":
        return tuple(sur[a][0] + given[b][0] + given[c][0] for a, b, c in zip(s, g1, g2, strict=True))
    return tuple(f"{sur[a][1]} {given[b][1].capitalize()}{given[c][1]}" for a, b, c in zip(s, g1, g2, strict=True))


def org_tables(plan: P.Plan, org: Org) -> dict[str, dict[str, object]]:
    """Columns of centres.csv, teams.csv and agents.csv."""
    cat, lang = catalog(), plan.lang
    centres = cat["centres"]
    teams = cat["teams"]

    def day(offset: int) -> date | None:
        return plan.start + timedelta(days=int(offset)) if offset < 10**5 else None

    return {
        "centres": {
            "centre_id": [c["id"] for c in centres],
            "name": [c[lang] for c in centres],
            "region": [c[f"region_{lang}"] for c in centres],
        },
        "teams": {
            "team_id": [t["id"] for t in teams],
            "centre_id": [t["centre"] for t in teams],
            "name": [t[lang] for t in teams],
            "business_line": [t["line"] for t in teams],
        },
        "agents": {
            "agent_id": list(org.agent_ids),
            "team_id": [org.team_ids[t] for t in org.agent_team],
            "name": list(org.agent_names),
            "role": [ROLES[r] for r in org.agent_role],
            "hired_on": [day(h) for h in org.hired],
            "left_on": [day(x) for x in org.left],
        },
    }


def agent_column(org: Org, agent: np.ndarray) -> pa.Array:
    """Agent ids for agent indices (-1 becomes null)."""
    ids = pa.array([*org.agent_ids, None], type=pa.string())
    return take(ids, np.where(agent >= 0, agent, len(org.agent_ids)))


def team_column(org: Org, team: np.ndarray) -> pa.Array:
    """Team ids for team indices (-1 becomes null)."""
    ids = pa.array([*org.team_ids, None], type=pa.string())
    return take(ids, np.where(team >= 0, team, len(org.team_ids)))


def prefixed_ids(prefix: str, first: int, count: int, width: int = 9) -> pa.Array:
    """``prefix`` + zero-padded running numbers ``first+1 … first+count``."""
    return join(prefix, num(np.arange(first + 1, first + count + 1), width))
