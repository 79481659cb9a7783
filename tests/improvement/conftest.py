"""A hand-made organisation with a planted improvement, and inspection results with planted rule hits.

Teams T1 (agents A1, A2), T2 (B1), T3 (C1). From 2026-01-05 to 2026-03-01 (56 local days) every team
gets 20 inbound phone calls a day at 10:00 local (02:00 UTC), handled by its first agent:

- answer rate: T1 answers 12 of 20 (60 %) before 2026-02-02 and 18 of 20 (90 %) from then on;
  T2 and T3 answer 15 of 20 (75 %) throughout. Over the whole period every team is at 75 %.
- talk seconds of the answered calls on day ``d`` (0 = 2026-01-05): 300 + 10·(d mod 5), except T1 from
  2026-02-02 on: 250 + 10·(d mod 5) — so AHT drops by exactly 50 s in T1 only.

Inspection (chat conversations on 2026-02-10, which do not count in the phone answer rate or AHT):
A1 25 inspected, 18 with a hit of rule ``r.forbidden`` (category forbidden); A2 25 inspected, 2 hits;
B1 50 inspected, 1 hit; C1 50 inspected, none. Team T1: 20/50 = 40 % vs the rest 1/100 = 1 %;
agent A1: 18/25 = 72 % vs the rest of T1 2/25 = 8 %.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pyarrow as pa

from csqm.improvement import add_finding, create_action, detect
from csqm.store import Store

START = date(2026, 1, 5)
EFFECTIVE = date(2026, 2, 2)
DAYS = 56
TEAM_AGENT = {"T1": "A1", "T2": "B1", "T3": "C1"}
INSPECTION_DAY_TEXT = "2026-02-10"


def seed_org(store: Store) -> None:
    store.load_arrow(
        "teams",
        pa.table(
            {
                "team_id": ["T1", "T2", "T3"],
                "centre_id": ["C1"] * 3,
                "name": ["一组", "二组", "三组"],
                "business_line": ["ToC"] * 3,
            }
        ),
    )
    store.load_arrow(
        "agents",
        pa.table(
            {
                "agent_id": ["A1", "A2", "B1", "C1"],
                "team_id": ["T1", "T1", "T2", "T3"],
                "name": ["Ann", "Al", "Bo", "Cy"],
                "role": ["general"] * 4,
            }
        ),
    )


def seed_calls(store: Store) -> None:
    ids, teams, agents, offered, answered, talk = [], [], [], [], [], []
    for d in range(DAYS):
        day = START + timedelta(days=d)
        after = day >= EFFECTIVE
        for team, agent in TEAM_AGENT.items():
            n_answered = (18 if after else 12) if team == "T1" else 15
            seconds = (250.0 if team == "T1" and after else 300.0) + 10 * (d % 5)
            for k in range(20):
                at = datetime(day.year, day.month, day.day, 2, 0) + timedelta(seconds=k)
                ids.append(f"I{team}{d:03d}{k:02d}")
                teams.append(team)
                agents.append(agent)
                offered.append(at)
                answered.append(at + timedelta(seconds=5) if k < n_answered else None)
                talk.append(seconds if k < n_answered else None)
    store.load_arrow(
        "interactions",
        pa.table(
            {
                "interaction_id": ids,
                "channel": ["phone"] * len(ids),
                "direction": ["inbound"] * len(ids),
                "agent_id": agents,
                "team_id": teams,
                "offered_at": pa.array(offered, pa.timestamp("us")),
                "answered_at": pa.array(answered, pa.timestamp("us")),
                "talk_seconds": pa.array(talk, pa.float64()),
            }
        ),
    )


def seed_inspection(store: Store) -> None:
    from csqm.inspection.tables import ensure_tables

    ensure_tables(store)
    plan = [("T1", "A1", 25, 18), ("T1", "A2", 25, 2), ("T2", "B1", 50, 1), ("T3", "C1", 50, 0)]
    ids, teams, agents, hit_ids = [], [], [], []
    for team, agent, n, hits in plan:
        for k in range(n):
            iid = f"Q{agent}{k:03d}"
            ids.append(iid)
            teams.append(team)
            agents.append(agent)
            if k < hits:
                hit_ids.append(iid)
    at = datetime(2026, 2, 10, 3, 0)
    store.load_arrow(
        "interactions",
        pa.table(
            {
                "interaction_id": ids,
                "channel": ["chat"] * len(ids),
                "direction": ["inbound"] * len(ids),
                "agent_id": agents,
                "team_id": teams,
                "offered_at": pa.array([at] * len(ids), pa.timestamp("us")),
                "answered_at": pa.array([at] * len(ids), pa.timestamp("us")),
            }
        ),
    )
    store.load_arrow(
        "inspection_results",
        pa.table(
            {
                "interaction_id": ids,
                "pack_version": ["p1"] * len(ids),
                "scope_digest": ["d"] * len(ids),
                "score": [80.0] * len(ids),
                "passed": [True] * len(ids),
                "fatal_count": [0] * len(ids),
                "finding_count": [1 if i in hit_ids else 0 for i in ids],
                "offered_at": pa.array([at] * len(ids), pa.timestamp("us")),
            }
        ),
    )
    store.load_arrow(
        "inspection_findings",
        pa.table(
            {
                "interaction_id": hit_ids + hit_ids[:3],
                "finding_no": [1] * len(hit_ids) + [2] * 3,
                # the first three conversations also hit an info rule, which never counts
                "rule_id": ["r.forbidden"] * len(hit_ids) + ["r.info"] * 3,
                "category": ["forbidden"] * len(hit_ids) + ["script"] * 3,
                "severity": ["non_fatal"] * len(hit_ids) + ["info"] * 3,
                "evidence": ["【你自己看】"] * len(hit_ids) + ["x"] * 3,
            }
        ),
    )


def seed(store: Store) -> None:
    seed_org(store)
    seed_calls(store)
    seed_inspection(store)


def populate(store: Store) -> None:
    """Findings F00001 (team T1), F00002 (agent A1), F00003 (manual, T2); actions A00001 (T1, answer rate,
    due 2026-02-20 — overdue), A00002 (T2); training T00001 (A1), T00002 (B1)."""
    seed(store)
    detect(store, sources=["inspection"], start=date(2026, 2, 10), end=date(2026, 2, 10), username="qm")
    add_finding(store, username="qm", title="Hold music complaints", scope_kind="team", scope_value="T2")
    common = {"username": "qm", "metric": "answer_rate", "scope_kind": "team", "effective_on": EFFECTIVE}
    create_action(store, title="Staff T1 peaks", scope_value="T1", due_on="2026-02-20", **common)
    create_action(store, title="Staff T2 peaks", scope_value="T2", due_on="2099-01-01", **common)
    create_action(store, username="qm", kind="training", title="Phrasing", agent_id="A1", effective_on=EFFECTIVE)
    create_action(store, username="qm", kind="training", title="Phrasing", agent_id="B1", effective_on=EFFECTIVE)
