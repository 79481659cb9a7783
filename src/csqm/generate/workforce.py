"""Schedules (planned shifts and activities) and agent states (the ACD log) that follow them.

Every employed agent works five days a week (business teams Monday-Friday, the others on a rota),
a 9-hour shift: 4 h work, 1 h break, 4 h work, sometimes with a 30-minute meeting or a 1-hour
training in the afternoon. States follow the plan with small deviations (late logins, long breaks):
work blocks are cycles of on_call -> acw -> available; an ``offline`` state marks the logout.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from csqm.generate import plan as P
from csqm.generate.org import Org, agent_column
from csqm.generate.records import Columns
from csqm.generate.writer import ts

ACTIVITIES = ("work", "break", "meeting", "training")
STATES = ("available", "on_call", "acw", "break", "meeting", "training", "offline")
_START_HOUR = {0: (8, 13), 1: (9, 14), 2: (9, 9), 3: (10, 10)}  # team kind -> early / late shift
_CYCLES = 24


def shifts(plan: P.Plan, org: Org) -> tuple[np.ndarray, np.ndarray]:
    """(agent, shift start) of every planned shift, ordered by agent and time."""
    days = np.arange(plan.days)
    weekday = (plan.start.weekday() + days) % 7
    agents = np.arange(len(org.agent_ids))
    employed = (org.hired[:, None] <= days) & (days <= org.left[:, None])
    kind = org.team_kind[org.agent_team]
    rota_off = ((weekday[None, :] - 2 * agents[:, None]) % 7) < 2
    off = np.where((kind == 2)[:, None], weekday[None, :] >= 5, rota_off)
    agent, day = np.nonzero(employed & ~off)
    early, late = np.array([_START_HOUR[k] for k in range(4)]).T
    late_shift = ((day // 7) + agent) % 2 == 1
    hour = np.where(late_shift, late[kind[agent]], early[kind[agent]])
    return agent, plan.t0 + day * P.DAY + hour * P.HOUR


def _segments(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Planned (start offset, end offset, activity) per shift, 5 slots; unused slots have end == start."""
    h = P.HOUR
    meeting, training = np.eye(3, dtype=bool)[rng.choice(3, n, p=[0.2, 0.08, 0.72])][:, :2].T
    cut = np.where(meeting, 7 * h, np.where(training, 6 * h, 9 * h))
    length = np.where(meeting, h // 2, np.where(training, h, 0))
    start = np.stack([np.zeros(n), np.full(n, 4 * h), np.full(n, 5 * h), cut, cut + length], axis=1)
    end = np.stack([np.full(n, 4 * h), np.full(n, 5 * h), cut, cut + length, np.full(n, 9 * h)], axis=1)
    activity = np.stack([np.zeros(n), np.ones(n), np.zeros(n), np.where(meeting, 2, 3), np.zeros(n)], axis=1)
    return start.astype(np.int64), end.astype(np.int64), activity.astype(np.int64)


def workforce_columns(plan: P.Plan, org: Org) -> tuple[Columns, Columns]:
    """(schedules.csv columns, agent_states.csv columns)."""
    rng = plan.rng(40)
    agent, start = shifts(plan, org)
    n = len(agent)
    s_off, e_off, activity = _segments(n, rng)
    used = e_off > s_off
    sched_agent = np.repeat(agent[:, None], 5, axis=1)[used]
    schedules: Columns = {
        "agent_id": agent_column(org, sched_agent),
        "starts_at": ts((start[:, None] + s_off)[used]),
        "ends_at": ts((start[:, None] + e_off)[used]),
        "activity": pa.array(np.array(ACTIVITIES)[activity[used]]),
    }
    return schedules, _states(agent, start, s_off, e_off, activity, used, org, rng)


def _states(
    agent: np.ndarray,
    start: np.ndarray,
    s_off: np.ndarray,
    e_off: np.ndarray,
    activity: np.ndarray,
    used: np.ndarray,
    org: Org,
    rng: np.random.Generator,
) -> Columns:
    n = len(agent)
    jitter = rng.normal(0, 90, (n, 5)).astype(np.int64)
    jitter[:, 0] = rng.normal(60, 120, n) + np.where(rng.random(n) < 0.05, rng.uniform(480, 1500, n), 0)
    jitter[:, 2] += np.where(rng.random(n) < 0.08, rng.uniform(300, 1200, n), 0).astype(np.int64)
    actual = start[:, None] + s_off + jitter
    actual = np.maximum.accumulate(np.where(used, actual, -1), axis=1)
    logout = start + 9 * P.HOUR + rng.integers(-300, 600, n)
    nxt = np.concatenate([actual[:, 1:], logout[:, None]], axis=1)
    for j in range(3, -1, -1):  # unused slot: next real start
        nxt[:, j] = np.where(used[:, j + 1], nxt[:, j], nxt[:, j + 1])
    blocks = used & (nxt > actual)
    b_agent = np.repeat(agent[:, None], 5, axis=1)[blocks]
    b_start, b_end, b_act = actual[blocks], nxt[blocks], activity[blocks]
    work = b_act == 0
    w_agent, w_start, w_state, w_end = _cycles(b_agent[work], b_start[work], b_end[work], rng)
    other_state = np.array([0, 3, 4, 5])[b_act[~work]]
    all_agent = np.concatenate([w_agent, b_agent[~work], agent])
    all_start = np.concatenate([w_start, b_start[~work], logout])
    all_end = np.concatenate([w_end, b_end[~work], np.zeros(n, dtype=np.int64)])
    all_state = np.concatenate([w_state, other_state, np.full(n, 6)])
    order = np.lexsort((all_start, all_agent))
    return {
        "agent_id": agent_column(org, all_agent[order]),
        "state": pa.array(np.array(STATES)[all_state[order]]),
        "started_at": ts(all_start[order]),
        "ended_at": ts(all_end[order], all_state[order] != 6),
    }


def _cycles(
    agent: np.ndarray, start: np.ndarray, end: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """on_call / acw / available cycles filling each work block; the last state runs to the block end."""
    b = len(agent)
    dur = np.empty((b, _CYCLES, 3), dtype=np.int64)
    dur[:, :, 0] = 60 + rng.exponential(1500, (b, _CYCLES))
    dur[:, :, 1] = rng.integers(60, 240, (b, _CYCLES))
    dur[:, :, 2] = 30 + rng.exponential(480, (b, _CYCLES))
    flat = dur.reshape(b, -1)
    begin = start[:, None] + np.cumsum(flat, axis=1) - flat
    valid = begin < end[:, None]
    finish = np.minimum(begin + flat, end[:, None])
    last = valid.sum(axis=1) - 1
    finish[np.arange(b), last] = end
    state = np.tile(np.array([1, 2, 0]), _CYCLES)[None, :].repeat(b, axis=0)
    agents = np.repeat(agent[:, None], flat.shape[1], axis=1)
    return agents[valid], begin[valid], state[valid], finish[valid]
