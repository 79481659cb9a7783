"""Settings validation (every problem with file and line), event validation, replay schedules."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from csqm.errors import ConfigError
from csqm.inspection import load_packs
from csqm.realtime.config import check_rules, load_config
from csqm.realtime.events import ConversationStarted, EventError, parse_event
from csqm.realtime.replay import replay, schedule, stamped


def test_shipped_settings_are_valid() -> None:
    config = load_config()
    check_rules(config, load_packs())
    assert "投诉" in config.threat_words and config.sla.chat_first_reply_seconds == 30
    assert config.kpi.window_seconds == 900


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "rt.yaml"
    path.write_text("version: 1\nemotion: {below: -3}\nsla:\n  chat_first_reply_seconds: 0\nsurprise: 1\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    assert f"{path}:2: emotion.below" in text
    assert f"{path}:4: sla.chat_first_reply_seconds" in text
    assert f"{path}:5: surprise" in text


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "rt.yaml"
    path.write_text("a: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_realtime_rules_must_exist_and_judge_single_turns(tmp_path: Path) -> None:
    path = tmp_path / "rt.yaml"
    path.write_text("realtime_rules:\n  - zh.forbidden.rude\n  - no.such.rule\n  - zh.script.greeting\n")
    with pytest.raises(ConfigError) as err:
        check_rules(load_config(path), load_packs(), path)
    text = str(err.value)
    assert f"{path}:3: realtime_rules[1]: no loaded rule has the id 'no.such.rule'" in text
    assert f"{path}:4: realtime_rules[2]: rule 'zh.script.greeting' uses the 'position' detector" in text


def test_cli_check(tmp_path: Path) -> None:
    from csqm.cli.main import cli

    result = CliRunner().invoke(cli, ["realtime", "check"])
    assert result.exit_code == 0 and "OK: 9 threat words" in result.output
    bad = tmp_path / "rt.yaml"
    bad.write_text("dedup_window_seconds: -1\n")
    result = CliRunner().invoke(cli, ["realtime", "check", "--config", str(bad)])
    assert result.exit_code != 0 and "dedup_window_seconds" in result.output


def test_event_timestamps_need_a_zone_and_become_utc() -> None:
    ok = parse_event(
        0,
        {
            "type": "conversation_started",
            "event_id": "e",
            "conversation_id": "c",
            "channel": "chat",
            "at": "2026-03-02T17:00:00+08:00",
        },
    )
    assert isinstance(ok, ConversationStarted) and ok.at == datetime(2026, 3, 2, 9, 0)
    bad = parse_event(
        3,
        {
            "type": "conversation_started",
            "event_id": "e",
            "conversation_id": "c",
            "channel": "fax",
            "at": "2026-03-02T17:00:00",
        },
    )
    assert isinstance(bad, EventError) and bad.index == 3
    assert "'channel'" in bad.error and "needs a time zone" in bad.error


def test_errors_never_repeat_the_text() -> None:
    bad = parse_event(
        0,
        {
            "type": "utterance",
            "event_id": "e",
            "conversation_id": "c",
            "seq": 1,
            "speaker": "customer",
            "text": 13812345678,
        },
    )
    assert isinstance(bad, EventError) and "13812345678" not in bad.error


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    inter = pd.DataFrame(
        {
            "interaction_id": ["A", "B", "C"],
            "channel": ["phone", "chat", "email"],
            "queue": ["q", "q", None],
            "team_id": ["T1", "T1", "T2"],
            "offered_at": pd.to_datetime(["2026-01-05 09:00:00", "2026-01-05 08:00:00", "2026-01-05 10:00:00"]),
            "answered_at": pd.to_datetime(["2026-01-05 09:00:20", None, None]),
            "ended_at": pd.to_datetime(["2026-01-05 09:05:00", "2026-01-05 08:01:00", None]),
            "abandoned": [False, True, False],
            "hold_seconds": [12.0, None, None],
            "language": ["zh", "zh", "zh"],
        }
    )
    utt = pd.DataFrame(
        {
            "interaction_id": ["A", "A", "B", "C"],
            "seq": [2, 1, 1, 1],
            "speaker": ["customer", "agent", "customer", "customer"],
            "offset_seconds": [30.0, 20.0, 5.0, 0.0],
            "text": ["我要投诉", "您好", "有人吗", "邮件"],
        }
    )
    return inter, utt


def test_schedule_keeps_each_conversations_timing() -> None:
    inter, utt = frames()
    items = schedule(inter, utt, every=10, prefix="R-")
    by_id = [
        (
            round(i.due, 3),
            i.event["type"],
            i.event.get("conversation_id") or i.event.get("contact_id"),
            i.event.get("seq"),
        )
        for i in items
    ]
    # B offered first (conversation 0 starts at 0 s), A second (starts at 10 s), C (email) third at 20 s
    assert by_id == [
        (0.0, "queue_offered", "R-B", None),
        (0.0, "conversation_started", "R-B", None),
        (5.0, "utterance", "R-B", 1),
        (5.001, "conversation_ended", "R-B", None),  # the end follows the last turn
        (10.0, "queue_offered", "R-A", None),
        (10.0, "conversation_started", "R-A", None),
        (20.0, "conversation_started", "R-C", None),
        (20.0, "utterance", "R-C", 1),
        (20.001, "conversation_ended", "R-C", None),
        (30.0, "queue_answered", "R-A", None),  # answered after 20 s
        (30.0, "utterance", "R-A", 1),
        (40.0, "utterance", "R-A", 2),
        (40.001, "conversation_ended", "R-A", None),
        (60.0, "queue_abandoned", "R-B", None),  # the customer left the queue after 60 s
    ]
    end_a = next(i.event for i in items if i.event["event_id"] == "R-A:e")
    assert end_a["utterances"] == 2 and end_a["hold_seconds"] == 12.0


def test_replay_sends_due_events_in_batches_and_divides_delays_by_speed() -> None:
    inter, utt = frames()
    items = schedule(inter, utt, every=10, prefix="R-")
    start = datetime(2026, 3, 2, 9, 0)
    stamps = [e["at"] for _, e in stamped(items, start, speed=10)]
    assert stamps[2] == "2026-03-02T09:00:00.500000Z"  # 5 s / 10
    sent: list[list[dict[str, object]]] = []

    def send(batch: list[dict[str, object]]) -> dict[str, object]:
        sent.append(batch)
        return {"accepted": len(batch), "errors": [], "alerts": []}

    summary = replay(items, send, speed=1000, tick=0.001, clock=lambda: start)
    assert summary.events == len(items) == sum(len(b) for b in sent) and summary.accepted == len(items)
    with pytest.raises(ConfigError):
        replay(items, send, speed=0)
