"""Scheduling (T3): a plan's monthly quota spread exactly across teams, channels and times of day, plus
unannounced random spot checks, each task assigned to a tester so that the load is balanced.

Everything is reproducible from ``seed``: the same plan, month and seed give the same tasks.

- Quota per (team, channel) cell: largest remainder over the weights (team weight, default 1; channels
  equal), so the cells add up to the quota exactly and differ from their fair share by less than one;
  ties in the remainders are broken by a seeded draw.
- Times of day: round-robin over the plan's slots across all cells, so every slot gets the same number
  of tasks ±1 and so does every cell's slots.
- Scenarios: round-robin per channel over the plan's scenarios of that channel, in seeded order.
- Spot checks: ``spot_checks_per_month`` tasks with team (weighted), channel, slot, scenario and day drawn at
  random from a separate seeded stream, so they do not shift the quota tasks.
- Testers: each task (in time order) goes to the eligible tester with the fewest tasks so far (ties:
  seeded order). A tester is eligible when the channel is in their channels (none listed: all); a robot
  tester only takes online channels.
"""

from __future__ import annotations

import calendar
import math
import random
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from csqm.testcalls.errors import TestcallError
from csqm.testcalls.model import ONLINE_CHANNELS, TIME_SLOTS, Plan, Scenario, Tester

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Task:
    """One scheduled test call."""

    task_id: str
    plan_id: str
    month: str
    kind: str
    team_id: str
    channel: str
    scenario_id: str
    time_slot: str
    scheduled_at: datetime  # UTC, naive
    tester_id: str
    tester_kind: str


def largest_remainder(total: int, weights: Mapping[K, float], rng: random.Random) -> dict[K, int]:
    """Split ``total`` into integers proportional to ``weights`` that add up to ``total`` exactly
    (Hamilton's method); equal remainders are ordered by ``rng``."""
    if total < 0:
        raise TestcallError("A quota cannot be negative.")
    keys = list(weights)
    if not keys:
        return {}
    weight_sum = float(sum(weights.values()))
    if weight_sum <= 0 or any(w < 0 for w in weights.values()):
        raise TestcallError("Quota weights must be positive.")
    exact = {k: total * weights[k] / weight_sum for k in keys}
    out = {k: math.floor(exact[k] + 1e-9) for k in keys}
    left = total - sum(out.values())
    tiebreak = {k: rng.random() for k in keys}
    order = sorted(keys, key=lambda k: (-(round(exact[k] - out[k], 9)), tiebreak[k]))
    for k in order[:left]:
        out[k] += 1
    return out


def _month_bounds(month: str) -> tuple[int, int, int]:
    try:
        year, mon = (int(p) for p in month.split("-"))
        days = calendar.monthrange(year, mon)[1]
    except (ValueError, calendar.IllegalMonthError) as exc:
        raise TestcallError(f"The month {month!r} is not a month; write it as YYYY-MM.") from exc
    return year, mon, days


def _when(rng: random.Random, month: str, slot: str, zone: ZoneInfo) -> datetime:
    year, mon, days = _month_bounds(month)
    start, end = TIME_SLOTS[slot]
    local = datetime(year, mon, rng.randint(1, days), rng.randrange(start, end), rng.randrange(0, 60), tzinfo=zone)
    return local.astimezone(UTC).replace(tzinfo=None)


def _eligible(tester: Tester, channel: str) -> bool:
    if tester.robot and channel not in ONLINE_CHANNELS:
        return False
    return not tester.channels or channel in tester.channels


def plan_month(
    plan: Plan, scenarios: Mapping[str, Scenario], month: str, *, seed: int, timezone: str = "Asia/Shanghai"
) -> list[Task]:
    """The tasks of ``plan`` for ``month`` (YYYY-MM, one of the plan's quarter), without storing anything."""
    if month not in plan.months:
        raise TestcallError(
            f"The month {month} is outside the plan's quarter {plan.quarter} ({', '.join(plan.months)})."
        )
    zone = ZoneInfo(timezone)
    rng = random.Random(f"{seed}:{plan.id}:{month}:quota")
    by_channel: dict[str, list[str]] = {c: [] for c in plan.channels}
    for sid in plan.scenarios:
        if sid not in scenarios:
            raise TestcallError(f"The plan {plan.id} names the unknown scenario {sid!r}.")
        by_channel.setdefault(scenarios[sid].channel, []).append(sid)
    for channel, ids in by_channel.items():
        if not ids:
            raise TestcallError(f"The plan {plan.id} has no scenario for the channel {channel!r}.")
        rng.shuffle(ids)
    team_w = {t: plan.team_weights.get(t, 1.0) for t in plan.teams}
    cells = {(t, c): team_w[t] for t in plan.teams for c in plan.channels}
    quota = largest_remainder(plan.monthly_quota, cells, rng)
    drafts: list[tuple[str, str, str, str, str, datetime]] = []
    slot_turn = 0
    scenario_turn = dict.fromkeys(by_channel, 0)
    for team, channel in cells:
        for _ in range(quota[(team, channel)]):
            slot = plan.time_slots[slot_turn % len(plan.time_slots)]
            slot_turn += 1
            ids = by_channel[channel]
            scenario = ids[scenario_turn[channel] % len(ids)]
            scenario_turn[channel] += 1
            drafts.append(("quota", team, channel, scenario, slot, _when(rng, month, slot, zone)))
    spot = random.Random(f"{seed}:{plan.id}:{month}:spot")
    teams, weights = list(team_w), list(team_w.values())
    for _ in range(plan.spot_checks_per_month):
        team = spot.choices(teams, weights)[0]
        channel = spot.choice(plan.channels)
        slot = spot.choice(plan.time_slots)
        drafts.append(
            ("spot_check", team, channel, spot.choice(by_channel[channel]), slot, _when(spot, month, slot, zone))
        )
    return _assign(plan, month, drafts, random.Random(f"{seed}:{plan.id}:{month}:testers"))


def _assign(
    plan: Plan, month: str, drafts: Sequence[tuple[str, str, str, str, str, datetime]], rng: random.Random
) -> list[Task]:
    testers = list(plan.testers)
    rank = {t.id: i for i, t in enumerate(rng.sample(testers, len(testers)))}
    load = {t.id: 0 for t in testers}
    numbered: list[Task] = []
    counters = {"quota": 0, "spot_check": 0}
    # ids follow the draft order (stable); assignment follows time order so load is balanced over the month
    ids: list[str] = []
    for kind, *_ in drafts:
        counters[kind] += 1
        ids.append(f"{plan.id}-{month}-{'Q' if kind == 'quota' else 'S'}{counters[kind]:04d}")
    order = sorted(range(len(drafts)), key=lambda i: (drafts[i][5], ids[i]))
    assigned: dict[int, Tester] = {}
    for i in order:
        channel = drafts[i][2]
        eligible = [t for t in testers if _eligible(t, channel)]
        if not eligible:
            raise TestcallError(f"No tester of the plan {plan.id} can test the channel {channel!r}.")
        chosen = min(eligible, key=lambda t: (load[t.id], rank[t.id]))
        load[chosen.id] += 1
        assigned[i] = chosen
    for i, (kind, team, channel, scenario, slot, when) in enumerate(drafts):
        tester = assigned[i]
        numbered.append(
            Task(
                ids[i], plan.id, month, kind, team, channel, scenario, slot, when, tester.id,
                "robot" if tester.robot else tester.kind,
            )
        )  # fmt: skip
    return numbered
