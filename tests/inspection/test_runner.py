"""Inspecting a store, on DuckDB and PostgreSQL: stored results, idempotent re-runs, changed packs
re-inspect only what they affect, atomic chunks, survey feedback."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from csqm.errors import ConfigError
from csqm.inspection import inspect
from csqm.inspection.detectors import registry
from csqm.inspection.detectors.base import ConversationDetector, Turn
from csqm.store import Store
from tests.inspection.helpers import FakeSentiment, rule, write_pack
from tests.inspection.store_helpers import FIXTURE, add_conversations

NOW = datetime(2026, 3, 1, 12, 0)


def _run(store: Store, **kw: Any) -> Any:
    kw.setdefault("sentiment", FakeSentiment())
    return inspect(store, now=NOW, **kw)


def _tables(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (
        store.query('SELECT * FROM "inspection_results" ORDER BY "interaction_id"'),
        store.query('SELECT * FROM "inspection_findings" ORDER BY "interaction_id", "finding_no"'),
    )


def test_results_are_stored(store: Store) -> None:
    add_conversations(store, FIXTURE)
    summary = _run(store)
    assert (summary.conversations, summary.inspected, summary.up_to_date) == (6, 6, 0)
    results, findings = _tables(store)
    by_id = results.set_index("interaction_id")
    assert by_id.loc["p1", "score"] == 100.0 and bool(by_id.loc["p1", "passed"])
    assert by_id.loc["p3", "score"] == 0.0 and by_id.loc["p3", "fatal_count"] == 1
    assert by_id.loc["p2", "scorecard_id"] == "zh_phone" and by_id.loc["c1", "scorecard_id"] == "zh_online"
    assert pd.isna(by_id.loc["b1", "score"])
    rules = set(zip(findings["interaction_id"], findings["rule_id"], strict=True))
    assert {
        ("p1", "zh.signal.customer_thanks"),
        ("p2", "zh.forbidden.shirking"),
        ("p2", "zh.forbidden.perfunctory"),
        ("p3", "zh.security.personal_data"),
        ("c1", "zh.signal.history_referenced"),
    } <= rules
    leak = findings[findings["rule_id"] == "zh.security.personal_data"].iloc[0]
    assert (leak["seq"], leak["span_start"], leak["span_end"], leak["severity"]) == (2, 7, 25, "fatal")
    assert "110***********123X" in leak["evidence"]
    assert summary.findings == len(findings) and summary.fatal == 1


def test_second_run_changes_nothing(store: Store) -> None:
    add_conversations(store, FIXTURE)
    _run(store)
    before = _tables(store)
    again = _run(store)
    assert (again.inspected, again.up_to_date, again.findings) == (0, 6, 0)
    after = _tables(store)
    pd.testing.assert_frame_equal(before[0], after[0])
    pd.testing.assert_frame_equal(before[1], after[1])


def test_changed_pack_reinspects_what_it_affects(store: Store, tmp_path: Path) -> None:
    add_conversations(store, FIXTURE)
    first = _run(store)
    changed = rule(
        "reply_latency",
        {"seconds": 1},
        id="zh.timing.chat_reply",
        speaker="agent",
        channels=["chat"],
        item="responsiveness",
        category="timing",
    )
    write_pack(tmp_path, "mine", [changed], languages=["zh"])
    second = _run(store, packs=[tmp_path])
    assert second.pack_version != first.pack_version
    assert second.inspected == 2  # the two chat conversations only
    versions = _tables(store)[0].set_index("interaction_id")["pack_version"]
    assert versions["c1"] == second.pack_version and versions["p1"] == first.pack_version
    assert _run(store, packs=[tmp_path]).inspected == 0
    assert _run(store, force=True).inspected == 6


class Boom(ConversationDetector):
    """Fails on conversation p2 (to interrupt a run)."""

    name = "boom"

    def check(self, turns: list[Turn], conversation: dict[str, Any]) -> list[tuple[int | None, int, int, str]]:
        if conversation["interaction_id"] == "p2":
            raise RuntimeError("boom")
        return []


def test_chunks_are_atomic(store: Store, tmp_path: Path) -> None:
    add_conversations(store, FIXTURE)
    registry.register_provider("boom", lambda: [Boom])
    try:
        write_pack(tmp_path, "boom", [rule("boom", {}, id="t.boom")])
        with pytest.raises(ConfigError, match=r"t\.boom"):
            _run(store, packs=[tmp_path], chunk_size=2)
    finally:
        registry.unregister_provider("boom")
    results, findings = _tables(store)
    # chunks in id order: (b1, c1) and (c2, p1) stored whole; (p2, p3) failed and left nothing behind
    assert list(results["interaction_id"]) == ["b1", "c1", "c2", "p1"]
    assert set(findings["interaction_id"]) <= {"b1", "c1", "c2", "p1"}


def test_survey_feedback_is_judged(store: Store) -> None:
    add_conversations(store, FIXTURE[:2])
    surveys = [
        {"survey_id": "s1", "interaction_id": "p1", "csat": 5.0, "comment": "服务很好"},
        {"survey_id": "s2", "interaction_id": "p2", "csat": 4.0, "comment": "问题还是没解决"},
        {"survey_id": "s3", "interaction_id": "p2", "csat": 4.0, "comment": "体验太差"},
        {"survey_id": "s4", "interaction_id": "p2", "csat": 3.0, "comment": None},
    ]
    store.load_arrow("surveys", pa.Table.from_pylist(surveys))
    assert _run(store).feedback == 3
    judged = store.query('SELECT * FROM "inspection_feedback" ORDER BY "survey_id"').set_index("survey_id")
    assert [bool(judged.loc[s, "negative"]) for s in ("s1", "s2", "s3")] == [False, True, True]
    assert judged.loc["s2", "evidence"] == "没解决" and judged.loc["s3", "polarity"] == -0.9
    assert _run(store).feedback == 0


def test_catalogue_kpis_over_inspection_results(store: Store) -> None:
    """The inspection KPIs are defined once, in the metric catalogue: computed here over a real run."""
    from csqm.metrics import compute_metrics

    add_conversations(store, FIXTURE)
    surveys = [
        {"survey_id": "s1", "interaction_id": "p1", "csat": 5.0, "comment": "服务很好"},
        {"survey_id": "s2", "interaction_id": "p2", "csat": 4.0, "comment": "问题还是没解决"},
        {"survey_id": "s3", "interaction_id": "c1", "csat": 4.0, "comment": None},
        {"survey_id": "s4", "interaction_id": "c2", "csat": 2.0, "comment": "差"},
    ]
    store.load_arrow("surveys", pa.Table.from_pylist(surveys))
    store.load_arrow(
        "complaints",
        pa.Table.from_pylist([{"complaint_id": "k1", "interaction_id": "c1", "created_at": datetime(2026, 1, 6)}]),
    )
    _run(store)
    scores = _tables(store)[0].dropna(subset=["score"])
    ids = ["qa_score_avg", "qa_fatal_rate", "forbidden_phrase_rate", "customer_thanks_share"]
    ids += ["history_referenced_rate", "pseudo_satisfied_share"]
    frame = compute_metrics(store, ids, record_history=False)
    values = {m: float(v) for m, v in zip(frame["metric"], frame["value"], strict=True)}
    # scored: p1, p2, p3, c1, c2 (b1 has no agent turn)
    assert len(scores) == 5
    assert values["qa_score_avg"] == pytest.approx(scores["score"].mean())
    assert values["qa_fatal_rate"] == pytest.approx(100 * 1 / 5)  # p3
    assert values["forbidden_phrase_rate"] == pytest.approx(100 * 2 / 5)  # p2, c2
    assert values["customer_thanks_share"] == pytest.approx(100 * 1 / 5)  # p1
    assert values["history_referenced_rate"] == pytest.approx(100 * 1 / 5)  # c1
    assert values["pseudo_satisfied_share"] == pytest.approx(100 * 2 / 3)  # s2 (comment), s3 (complaint) of s1-s3


def test_reingesting_a_changed_transcript_reinspects_only_that_conversation(tmp_path, duck, settings):  # type: ignore[no-untyped-def]
    from csqm.ingest import ingest_file
    from csqm.inspection import inspect

    header = "interaction_id,seq,speaker,text"
    calls = tmp_path / "i.csv"
    calls.write_text(
        "interaction_id,channel,offered_at\nc1,chat,2026-01-05 09:00:00\nc2,chat,2026-01-05 10:00:00\n",
        encoding="utf-8",
    )
    first = [
        header,
        "c1,1,agent,您好，请问有什么可以帮您",
        "c1,2,customer,查物流",
        "c2,1,agent,您好",
        "c2,2,customer,谢谢",
    ]
    turns = tmp_path / "u.csv"
    turns.write_text("\n".join(first) + "\n", encoding="utf-8")
    ingest_file(calls, "interactions", store=duck, settings=settings)
    ingest_file(turns, "utterances", store=duck, settings=settings)
    assert inspect(duck, sentiment=False).inspected == 2
    assert inspect(duck, sentiment=False).inspected == 0
    changed = [*first[:2], "c1,2,agent,这不归我管，你自己看", *first[3:]]
    turns.write_text("\n".join(changed) + "\n", encoding="utf-8")
    assert ingest_file(turns, "utterances", store=duck, settings=settings).updated == 1
    again = inspect(duck, sentiment=False)
    assert (again.inspected, again.up_to_date) == (1, 1)
    categories = duck.query("SELECT category FROM inspection_findings WHERE interaction_id = 'c1'")["category"]
    assert "forbidden" in set(categories)
