"""Live queue KPIs over the rolling window, hand-computed, and their alerts against catalogue targets."""

from __future__ import annotations

from datetime import timedelta

from csqm.realtime.config import Kpi
from csqm.realtime.engine import Processor
from csqm.realtime.kpis import live_kpis
from tests.realtime.conftest import T0, Clock, queue

NOW = T0 + timedelta(seconds=900)


def load(proc: Processor) -> None:
    events = [
        queue("offered", "a", 100),
        queue("answered", "a", 110),  # wait 10: in SL (20 s) and in 30 s
        queue("offered", "b", 200),
        queue("answered", "b", 225),  # wait 25: 30 s only
        queue("offered", "c", 300),
        queue("answered", "c", 360),  # wait 60: neither
        queue("offered", "d", 400),
        queue("abandoned", "d", 403),  # short abandon (3 s < 5 s)
        queue("offered", "e", 500),
        queue("abandoned", "e", 540),  # abandoned after 40 s
        queue("offered", "f", 880),  # waiting 20 s at NOW: undecided for both thresholds
        queue("offered", "g", 850),  # waiting 50 s at NOW: late for both
        queue("offered", "h", -10),
        queue("answered", "h", 5),  # offered before the window
        queue("offered", "i", 600, q="q2", team="T2"),
        queue("answered", "i", 605, q="q2", team="T2"),
    ]
    out = proc.process(events)
    assert out.errors == [] and out.accepted == len(events)


def test_hand_computed_rates(proc: Processor) -> None:
    load(proc)
    got = {(k.level, k.key): k for k in live_kpis(proc.store, now=NOW, config=proc.config, catalogue=proc.catalogue)}
    assert set(got) == {("queue", "q1"), ("queue", "q2"), ("team", "T1"), ("team", "T2")}
    q1 = got[("queue", "q1")]
    assert (q1.offered, q1.answered, q1.abandoned, q1.waiting) == (7, 3, 2, 2)
    assert q1.service_level == 20.0  # a / {a, b, c, e, g}
    assert q1.answered_30s == round(100 * 2 / 6, 4)  # {a, b} / {a, b, c, d, e, g}
    assert q1.abandon_rate == 25.0  # e / {a, b, c, e}
    assert got[("team", "T1")] == q1.__class__("team", "T1", *list(q1.as_dict().values())[2:])
    q2 = got[("queue", "q2")]
    assert (q2.service_level, q2.answered_30s, q2.abandon_rate) == (100.0, 100.0, 0.0)


def test_empty_window(proc: Processor) -> None:
    assert live_kpis(proc.store, now=NOW, config=proc.config, catalogue=proc.catalogue) == []


def test_alerts_when_off_target_with_enough_contacts(proc: Processor, clock: Clock) -> None:
    load(proc)
    clock.now = NOW
    proc.config = proc.config.model_copy(update={"kpi": Kpi(min_offered=10)})
    assert [a.kind for a in proc.tick() if a.kind.startswith("kpi:")] == []  # too few contacts
    proc.config = proc.config.model_copy(update={"kpi": Kpi(min_offered=4)})
    alerts = sorted((a.subject_id, a.kind) for a in proc.tick() if a.kind.startswith("kpi:"))
    assert alerts == [
        ("queue:q1", "kpi:abandon_rate"),
        ("queue:q1", "kpi:answered_30s"),
        ("queue:q1", "kpi:service_level"),
        ("team:T1", "kpi:abandon_rate"),
        ("team:T1", "kpi:answered_30s"),
        ("team:T1", "kpi:service_level"),
    ]
    assert [a for a in proc.tick() if a.kind.startswith("kpi:")] == []  # deduplicated within the window


def test_queue_wait_alerts(proc: Processor, clock: Clock) -> None:
    proc.process(
        [
            queue("offered", "x", 0),
            queue("offered", "y", 0),
            queue("offered", "z", 0),
            queue("answered", "y", 30),
            queue("answered", "z", 75),
        ]
    )  # z waited 75 s > 60 s
    assert proc.store.scalar('SELECT count(*) FROM "realtime_alerts" WHERE "kind" = \'queue_wait\'') == 1
    clock.now = T0 + timedelta(seconds=59)
    assert [a.subject_id for a in proc.tick() if a.kind == "queue_wait"] == []
    clock.now = T0 + timedelta(seconds=61)
    assert [a.subject_id for a in proc.tick() if a.kind == "queue_wait"] == ["x"]


def test_queue_wait_found_when_the_answer_arrives_before_the_offer(proc: Processor) -> None:
    proc.process([queue("answered", "late", 90)])
    assert proc.process([queue("offered", "late", 0)]).alerts[0].kind == "queue_wait"


def test_contacts_without_a_team_and_the_order_of_levels(proc: Processor) -> None:
    events = [
        queue("offered", "x", 100, q="q9", team="T9"),
        queue("answered", "x", 130, q="q9", team="T9"),  # wait 30: not in SL (20 s), in 30 s
        queue("offered", "y", 200, q="q0"),
        queue("abandoned", "y", 260, q="q0"),  # abandoned after 60 s
    ]
    events[2].pop("team_id")
    events[3].pop("team_id")
    assert proc.process(events).errors == []
    got = live_kpis(proc.store, now=NOW, config=proc.config, catalogue=proc.catalogue)
    # queues first, then teams, each sorted by key; a contact without a team counts under "-"
    assert [(k.level, k.key) for k in got] == [("queue", "q0"), ("queue", "q9"), ("team", "-"), ("team", "T9")]
    no_team = got[2]
    assert (no_team.offered, no_team.answered, no_team.abandoned, no_team.waiting) == (1, 0, 1, 0)
    assert (no_team.service_level, no_team.answered_30s, no_team.abandon_rate) == (0.0, 0.0, 100.0)
    t9 = got[3]
    assert (t9.service_level, t9.answered_30s, t9.abandon_rate) == (0.0, 100.0, 0.0)


def test_waits_exactly_on_the_thresholds(proc: Processor) -> None:
    """Counted by the store since session 11: a wait of exactly 20 s is within the service level,
    exactly 30 s within 30 s, and an abandon after exactly 5 s is not a short one."""
    events = [
        queue("offered", "a", 100),
        queue("answered", "a", 120),  # 20 s: in SL, in 30 s
        queue("offered", "b", 200),
        queue("answered", "b", 230),  # 30 s: not in SL, in 30 s
        queue("offered", "c", 300),
        queue("abandoned", "c", 305),  # 5 s: not short, counts as abandoned
        queue("offered", "d", 400),
        queue("abandoned", "d", 404),  # 4 s: short, left out of SL and the abandon rate
    ]
    assert proc.process(events).errors == []
    (q1, _t1) = live_kpis(proc.store, now=NOW, config=proc.config, catalogue=proc.catalogue)
    assert (q1.offered, q1.answered, q1.abandoned, q1.waiting) == (4, 2, 2, 0)
    assert q1.service_level == round(100 / 3, 4)  # a / {a, b, c}
    assert q1.answered_30s == 50.0  # {a, b} / {a, b, c, d}
    assert q1.abandon_rate == round(100 / 3, 4)  # c / {a, b, c}
