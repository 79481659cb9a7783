"""The processor on both engines: storage, masking, idempotency, each alert trigger, dedup, timers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import pytest

from csqm.realtime.alerts import Alert
from csqm.realtime.engine import Processor
from csqm.store import Store
from tests.realtime.conftest import T0, Clock, ended, queue, started, turn

ANGRY = "太气人了，垃圾服务，我很生气"
ANGRY2 = "你们太差劲了，我非常生气"
CALM = "好的，谢谢你的帮助"


def threat(alerts: list[Alert]) -> list[Alert]:
    return [a for a in alerts if a.kind == "threat_words"]


def kinds(proc: Processor) -> list[tuple[str, str]]:
    frame = proc.store.query('SELECT "subject_id", "kind" FROM "realtime_alerts" ORDER BY 1, 2')
    return list(zip(frame["subject_id"], frame["kind"], strict=True))


def test_conversation_is_stored_masked_in_the_normal_tables(proc: Processor) -> None:
    out = proc.process(
        [
            started("c1", team_id="T1", queue="q1"),
            turn("c1", 1, "customer", "电话13812345678查一下"),
            turn("c1", 2, "agent", "您好，已经查到了"),
        ]
    )
    assert (out.accepted, out.duplicates, out.errors) == (3, 0, [])
    inter = proc.store.query('SELECT * FROM "interactions"')
    assert inter.loc[0, "interaction_id"] == "c1" and inter.loc[0, "channel"] == "chat"
    assert str(inter.loc[0, "answered_at"]) == "2026-03-02 09:00:10"  # the first agent turn
    assert inter.loc[0, "first_response_seconds"] == 10.0
    utt = proc.store.query('SELECT "seq", "text", "pii_kinds", "offset_seconds" FROM "utterances" ORDER BY "seq"')
    assert list(utt["text"]) == ["电话138****5678查一下", "您好，已经查到了"]
    assert utt.loc[0, "pii_kinds"] == "phone"
    assert list(utt["offset_seconds"]) == [5.0, 10.0]
    stored = " ".join(str(v) for v in proc.store.query('SELECT * FROM "realtime_events"').to_numpy().ravel())
    assert "13812345678" not in stored


def test_same_events_twice_change_nothing(proc: Processor) -> None:
    batch = [started("c1"), turn("c1", 1, "customer", "我要投诉你们"), ended("c1")]
    first = proc.process(batch)
    assert first.accepted == 3 and len(first.alerts) == 1 and first.inspected == ["c1"]
    again = proc.process(batch)
    assert (again.accepted, again.duplicates, again.alerts, again.inspected) == (0, 3, [], [])
    assert proc.store.scalar('SELECT count(*) FROM "utterances"') == 1
    assert proc.store.scalar('SELECT count(*) FROM "realtime_alerts"') == 1
    inside = proc.process([turn("c2", 1, "agent", "x"), turn("c2", 1, "agent", "x")])  # same id in one batch
    assert inside.duplicates == 1


def test_duplicates_are_named_by_their_index_in_the_batch(proc: Processor) -> None:
    proc.process([started("d1")])
    # 0: stored by an earlier batch; 1: new; 2: bad; 3: a repeat of 1 in this batch
    out = proc.process([started("d1"), started("d2"), {"type": "nonsense"}, started("d2")])
    assert (out.accepted, out.duplicates, out.duplicate_indexes) == (1, 2, [0, 3])
    assert [e.index for e in out.errors] == [2]


def test_bad_events_are_reported_by_index_and_the_rest_go_on(proc: Processor) -> None:
    out = proc.process(
        [
            started("c1"),
            {"type": "utterance", "event_id": "x"},
            7,
            turn("c1", 1, "agent", "好"),
            turn("c1", 1, "agent", "again", event_id="other"),
            turn("zz", 1, "agent", "hi"),
            started("c1", event_id="c1-s2"),
        ]
    )
    assert out.accepted == 2
    messages = {e.index: e.error for e in out.errors}
    assert set(messages) == {1, 2, 4, 6}
    assert "Event 1 (utterance)" in messages[1] and "'conversation_id'" in messages[1]
    assert "expected a JSON object" in messages[2]
    assert "turn 1 of conversation 'c1' was already received" in messages[4]
    assert "already started" in messages[6]
    assert [(e.index, e.retry) for e in out.deferred] == [(5, True)]  # not started yet: a worker retries it


def test_end_before_all_turns_is_deferred(proc: Processor) -> None:
    proc.process([started("c1"), turn("c1", 1, "customer", "在吗")])
    early = proc.process([ended("c1", utterances=2)])
    assert early.accepted == 0 and early.deferred and "only 1 of the 2 turns" in early.deferred[0].error
    late = proc.process([turn("c1", 2, "agent", "在的"), ended("c1", utterances=2)])
    assert late.accepted == 2 and late.inspected == ["c1"]


def test_threat_words_alert_once_per_conversation_within_the_window(proc: Processor, clock: Clock) -> None:
    out = proc.process(
        [
            started("c1", agent_id="A1", team_id="T1"),
            turn("c1", 1, "customer", "我要打12315"),
            turn("c1", 2, "customer", "还要找律师"),
        ]
    )
    threats = [a for a in out.alerts if a.kind == "threat_words"]
    assert [(a.kind, a.subject_id, a.event_id, a.severity) for a in threats] == [
        ("threat_words", "c1", "c1-u1", "critical")
    ]
    assert threats[0].team_id == "T1" and threats[0].agent_id == "A1"
    assert "12315" in threats[0].message
    clock.advance(600)
    assert threat(proc.process([turn("c1", 3, "customer", "我要曝光你们")]).alerts) == []
    clock.advance(1800)  # past the 30-minute window: a new alert
    assert [a.event_id for a in threat(proc.process([turn("c1", 4, "customer", "欺骗消费者")]).alerts)] == ["c1-u4"]
    clock.advance(3600)
    assert threat(proc.process([turn("c1", 5, "agent", "我们不会欺骗您")]).alerts) == []  # agents' words do not count


def test_emotion_escalating_needs_two_negative_customer_turns_in_a_row(proc: Processor) -> None:
    out = proc.process([started("c1"), turn("c1", 1, "customer", ANGRY), turn("c1", 2, "customer", CALM)])
    assert out.alerts == []
    out = proc.process([turn("c1", 3, "customer", ANGRY)])
    assert out.alerts == []  # one negative turn after a calm one
    out = proc.process([turn("c1", 4, "agent", "抱歉"), turn("c1", 5, "customer", ANGRY2)])
    assert [(a.kind, a.event_id) for a in out.alerts] == [("emotion", "c1-u5")]
    polarity = proc.store.query('SELECT "seq", "polarity" FROM "realtime_events" WHERE "speaker" = \'customer\'')
    values = dict(zip(polarity["seq"], polarity["polarity"], strict=True))
    assert values[1] <= -0.5 and values[2] > -0.5 and values[3] <= -0.5 and values[5] <= -0.5


def test_realtime_rule_fires_on_the_turn(proc: Processor) -> None:
    out = proc.process([started("c1"), turn("c1", 1, "customer", "快递呢"), turn("c1", 2, "agent", "这不归我管")])
    assert [(a.kind, a.event_id) for a in out.alerts] == [("rule:zh.forbidden.shirking", "c1-u2")]
    assert "这不归我管" in out.alerts[0].evidence


def test_chat_not_answered_within_30_seconds(proc: Processor, clock: Clock) -> None:
    proc.process([started("slow", 0), started("fast", 0), started("phone", 0, channel="phone")])
    proc.process([turn("fast", 1, "agent", "您好", t=10)])
    clock.now = clock.now.replace(second=29)
    assert proc.tick() == []
    clock.now = clock.now.replace(second=31)
    assert [(a.kind, a.subject_id) for a in proc.tick()] == [("chat_sla", "slow")]
    assert proc.tick() == []  # deduplicated
    proc.process([turn("slow", 1, "agent", "抱歉久等", t=40)])
    assert kinds(proc) == [("slow", "chat_sla")]


def test_timers_leave_out_what_they_alerted_already(
    proc: Processor, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Their alert ids are the same every time, so store_alerts would drop them: they are not made
    into alerts again (under load, a thousand or more every second stalled the ingress)."""
    from csqm.realtime import engine

    made: list[list[tuple[str, str]]] = []
    store = engine.store_alerts

    def counting(store_: Store, candidates: Any, **kw: Any) -> Any:
        made.append([(a.kind, a.subject_id) for a in candidates])
        return store(store_, candidates, **kw)

    monkeypatch.setattr(engine, "store_alerts", counting)
    proc.process([started("slow", 0), queue("offered", "x", 0)])
    clock.now = T0 + timedelta(seconds=31)
    assert [(a.kind, a.subject_id) for a in proc.tick()] == [("chat_sla", "slow")]
    clock.now = T0 + timedelta(seconds=61)
    assert [(a.kind, a.subject_id) for a in proc.tick()] == [("queue_wait", "x")]
    assert [(a.kind, a.subject_id) for a in proc.tick()] == []
    assert [m for m in made if m] == [[("chat_sla", "slow")], [("queue_wait", "x")]]


def test_timers_give_way_to_the_ingress_between_their_steps(proc: Processor, clock: Clock) -> None:
    calls: list[int] = []
    proc.make_way = lambda: calls.append(1)
    proc.process([started(f"c{i}", 0) for i in range(250)])
    clock.now = T0 + timedelta(seconds=31)
    assert len(proc.tick()) == 250
    # before each of its reads and before storing, and between each 100 alerts stored
    assert len(calls) == 4 + 2


def test_conversation_without_start_is_not_timed(proc: Processor, clock: Clock) -> None:
    proc.store.execute(
        'INSERT INTO "interactions" ("interaction_id", "channel", "offered_at") VALUES (\'old\', \'chat\', ?)',
        (clock.now.replace(second=0),),
    )
    clock.advance(60)
    assert proc.tick() == []  # batch-ingested history is not live


def test_emotion_run_completed_by_an_earlier_turn_arriving_late(proc: Processor) -> None:
    proc.process([started("c1"), turn("c1", 1, "customer", CALM), turn("c1", 3, "customer", ANGRY)])
    out = proc.process([turn("c1", 2, "customer", ANGRY2)])  # turn 2 arrives after turn 3
    assert [(a.kind, a.event_id) for a in out.alerts] == [("emotion", "c1-u2")]


def test_no_emotion_run_across_turns_that_have_not_arrived(proc: Processor) -> None:
    """Turns 1 and 5 are negative, the customer's turn 3 between them is calm but arrives last (a
    batch redelivered after a worker died): 1 and 5 are not consecutive, in whatever order."""
    proc.process([started("c1"), turn("c1", 1, "customer", ANGRY), turn("c1", 2, "agent", "您好")])
    out = proc.process([turn("c1", 4, "agent", "抱歉"), turn("c1", 5, "customer", ANGRY2)])
    assert out.alerts == []  # turn 3 is missing: 1 and 5 are not known to be in a row
    out = proc.process([turn("c1", 3, "customer", CALM)])
    assert out.alerts == []
    assert kinds(proc) == []


def test_emotion_run_closed_by_a_late_agent_turn(proc: Processor) -> None:
    """Customer turns 1 and 3 are negative; the agent's turn 2 between them arrives last: the run is
    known to be consecutive only then, and raised then."""
    out = proc.process([started("c1"), turn("c1", 1, "customer", ANGRY), turn("c1", 3, "customer", ANGRY2)])
    assert out.alerts == []
    out = proc.process([turn("c1", 2, "agent", "抱歉")])
    assert [(a.kind, a.event_id) for a in out.alerts] == [("emotion", "c1-u2")]


def test_answered_at_is_the_earliest_agent_turn_whatever_the_order(proc: Processor) -> None:
    proc.process([started("c1"), turn("c1", 4, "agent", "稍等", t=40)])
    proc.process([turn("c1", 2, "agent", "您好", t=12)])
    row = proc.store.query('SELECT "answered_at", "first_response_seconds" FROM "interactions"').iloc[0]
    assert str(row["answered_at"]) == "2026-03-02 09:00:12" and row["first_response_seconds"] == 12.0


def test_phone_call_ended_unanswered_is_abandoned(proc: Processor) -> None:
    proc.process([started("p1", channel="phone"), turn("p1", 1, "customer", "喂"), ended("p1", t=20)])
    row = proc.store.query('SELECT "abandoned", "ended_at", "talk_seconds" FROM "interactions"').iloc[0]
    assert bool(row["abandoned"]) and str(row["ended_at"]) == "2026-03-02 09:00:20" and pd.isna(row["talk_seconds"])
