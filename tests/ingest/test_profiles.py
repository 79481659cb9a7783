"""Mapping profiles: validation, and the built-in profiles on the real public data."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from csqm.errors import ConfigError
from csqm.ingest import ingest_file
from csqm.ingest.profiles import load_profile
from csqm.settings import Settings
from csqm.store import Store
from tests.conftest import shared_data


def test_builtin_profiles_load() -> None:
    assert load_profile("pwc_callcenter").outputs.keys() == {"interactions", "surveys"}
    assert load_profile("twcs").transform == "twitter_threads"


def test_unknown_profile_names_the_builtins() -> None:
    with pytest.raises(ConfigError, match="pwc_callcenter"):
        load_profile("nope")


def test_invalid_profile_reports_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: x\noutputs:\n  interactions:\n    bogus_field: A\n"
        "    channel: {const: phone, from: B}\n  calls:\n    a: b\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_profile(path)
    message = str(info.value)
    assert "p.yaml" in message and "exactly one of" in message


def test_invalid_profile_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\noutputs:\n  interactions: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"p.yaml line \d+"):
        load_profile(path)


def test_user_profile_with_value_maps_and_templates(tmp_path: Path, duck: Store, settings: Settings) -> None:
    profile = tmp_path / "crm.yaml"
    profile.write_text(
        """
name: crm_export
outputs:
  interactions:
    interaction_id: 工单号
    channel: {from: 渠道, map: {热线: phone, 网页: chat}}
    offered_at: {template: "{日期} {时间}"}
    customer_phone: 联系电话
    resolved: {from: 是否解决, map: {已解决: "true", 未解决: "false"}}
""",
        encoding="utf-8",
    )
    data = tmp_path / "export.csv"
    data.write_text(
        "工单号,渠道,日期,时间,联系电话,是否解决\nW1,热线,2026-01-05,09:00:00,13812345678,已解决\nW2,网页,2026-01-05,10:00:00,,未解决\n",
        encoding="gb18030",
    )
    summary = ingest_file(data, store=duck, settings=settings, profile=profile)
    assert summary.inserted == 2
    got = duck.table("interactions")
    assert got["channel"].tolist() == ["phone", "chat"]
    assert got["resolved"].tolist() == [True, False]
    assert got["offered_at"].iloc[0] == pd.Timestamp("2026-01-05 01:00:00")


def test_profile_missing_source_columns_is_a_clear_error(tmp_path: Path, duck: Store, settings: Settings) -> None:
    data = tmp_path / "calls.csv"
    data.write_text("Call Id,Agent\nID1,Diane\n", encoding="utf-8")
    with pytest.raises(Exception, match="does not match profile pwc_callcenter: missing column"):
        ingest_file(data, store=duck, settings=settings, profile="pwc_callcenter")


def _hms(value: str) -> float:
    h, m, s = (int(x) for x in value.split(":"))
    return h * 3600 + m * 60 + s


def test_pwc_callcenter_real_data(store: Store, settings: Settings) -> None:
    path = shared_data("pwc_callcenter", "calls.csv")
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    summary = ingest_file(path, store=store, settings=settings, profile="pwc_callcenter")
    answered = [r for r in rows if r["Answered (Y/N)"] == "Y"]
    rated = [r for r in rows if r["Satisfaction rating"].strip()]
    assert summary.kinds["interactions"].inserted == len(rows) == 5000
    assert summary.kinds["surveys"].inserted == len(rated)
    assert summary.rejected == 0
    got = store.query(
        "SELECT agent_id, count(*) AS calls, sum(CASE WHEN NOT abandoned THEN 1 ELSE 0 END) AS answered, "
        "avg(talk_seconds) AS talk FROM interactions GROUP BY agent_id ORDER BY agent_id"
    )
    for agent, calls, n_answered, talk in got.itertuples(index=False):
        mine = [r for r in rows if r["Agent"] == agent]
        mine_answered = [r for r in mine if r["Answered (Y/N)"] == "Y"]
        assert calls == len(mine)
        assert n_answered == len(mine_answered)
        talks = [_hms(r["AvgTalkDuration"]) for r in mine if r["AvgTalkDuration"].strip()]
        assert talk == pytest.approx(sum(talks) / len(talks))
    speed = store.scalar(
        "SELECT avg(extract(epoch FROM answered_at - offered_at)) FROM interactions WHERE answered_at IS NOT NULL"
    )
    expected = sum(float(r["Speed of answer in seconds"]) for r in answered) / len(answered)
    assert float(speed) == pytest.approx(expected)
    csat = store.scalar("SELECT avg(csat) FROM surveys")
    assert float(csat) == pytest.approx(sum(float(r["Satisfaction rating"]) for r in rated) / len(rated))


def test_twcs_threads_real_data(store: Store, settings: Settings) -> None:
    path = shared_data("twcs_sample", "twcs_sample.csv")
    frame = pd.read_csv(path, dtype=str)
    summary = ingest_file(path, store=store, settings=settings, profile="twcs")
    assert summary.rejected == 0
    assert store.count("utterances") == len(frame)
    # every tweet belongs to exactly one thread; a thread's first tweet has no parent in the file
    ids = set(frame["tweet_id"])
    roots = frame[~frame["in_response_to_tweet_id"].fillna("x").map(lambda v: v.split(".")[0]).isin(ids)]
    assert store.count("interactions") == len(roots)
    speakers = store.query("SELECT speaker, count(*) AS n FROM utterances GROUP BY speaker ORDER BY speaker")
    inbound = int((frame["inbound"] == "True").sum())
    assert dict(zip(speakers["speaker"], speakers["n"], strict=True)) == {
        "agent": len(frame) - inbound,
        "customer": inbound,
    }
    assert store.scalar("SELECT count(*) FROM interactions WHERE channel <> 'social'") == 0
    # customers are the (pseudonymised) inbound authors
    assert store.scalar("SELECT count(*) FROM customer_identities WHERE kind = 'social_handle'") > 0
