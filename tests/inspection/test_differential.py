"""Differential tests: the batch engine gives every conversation exactly the result it gets alone.

The engine searches all turns of a batch back to back (one automaton over UTF-8 bytes, spans turned
into characters only for what is kept), so batch boundaries, multi-byte characters and turn
boundaries are where it could go wrong. Each test compares one big batch with other cuts of the same
conversations (random chunks, one conversation at a time through :func:`inspect_conversation`), on
the seeded demo data and on random conversations made of the packs' own phrases, and checks that
every span points at text the rule looks for.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csqm.generate import generate
from csqm.inspection.batch import Batch
from csqm.inspection.detectors.keywords import KeywordParams, RegexParams
from csqm.inspection.detectors.order import OrderParams
from csqm.inspection.engine import BatchResult, Inspector, inspect_conversation
from csqm.inspection.loading import LoadedRule, load_packs
from csqm.inspection.model import ConversationResult
from csqm.privacy import Masker
from tests.inspection.helpers import FakeSentiment, batch_of, find, rule, spans


@functools.cache
def _inspector() -> Inspector:
    return Inspector(load_packs(), sentiment=FakeSentiment())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pa.Table]:
    """800 seeded demo conversations (both languages, every channel), masked as at ingest."""
    out: Path = tmp_path_factory.mktemp("demo")
    generate(out, interactions=800, seed=7)
    inter = pacsv.read_csv(out / "interactions.csv").to_pandas()
    utt = pacsv.read_csv(out / "utterances.csv")
    masked, kinds = Masker(b"differential-secret-01").mask_texts(utt.column("text").to_pylist())
    utt = utt.set_column(utt.schema.get_field_index("text"), "text", pa.array(masked, pa.string()))
    return inter, utt.append_column("pii_kinds", pa.array(kinds, pa.string()))


def _subset(inter: pd.DataFrame, utt: pa.Table, rows: Sequence[int]) -> Batch:
    part = inter.iloc[list(rows)]
    keep = np.isin(utt.column("interaction_id").to_numpy(zero_copy_only=False), part["interaction_id"].to_numpy())
    return Batch.from_frames(part, utt.filter(pa.array(keep)))


def _by_id(results: Sequence[ConversationResult]) -> dict[str, ConversationResult]:
    return {r.interaction_id: r for r in results}


def test_demo_data_one_batch_equals_random_chunks(demo: tuple[pd.DataFrame, pa.Table]) -> None:
    inter, utt = demo
    whole = _inspector().run(Batch.from_frames(inter, utt))
    expected = whole.conversations()
    assert len(expected) == 800
    found_rules = {f.rule_id for r in expected for f in r.findings}
    assert len(found_rules) >= 12, found_rules  # the demo data is Chinese: most rules of the zh pack
    assert {"zh.script.closing", "zh.security.personal_data", "zh.signal.history_referenced"} <= found_rules
    rng = random.Random(3)
    got: list[ConversationResult] = []
    start = 0
    while start < len(inter):
        size = rng.choice([1, 2, 7, 50, 333])
        got.extend(_inspector().run(_subset(inter, utt, range(start, min(start + size, len(inter))))).conversations())
        start += size
    assert got == expected


def test_demo_data_one_batch_equals_inspect_conversation(demo: tuple[pd.DataFrame, pa.Table]) -> None:
    inter, utt = demo
    expected = _by_id(_inspector().run(Batch.from_frames(inter, utt)).conversations())
    frame = utt.to_pandas()
    for row in inter.head(150).to_dict("records"):
        turns = frame[frame["interaction_id"] == row["interaction_id"]]
        assert inspect_conversation(turns, row, _inspector()) == expected[row["interaction_id"]]


def _check_spans(result: BatchResult) -> int:
    """Every span of a phrase or regex finding covers text its rule looks for; returns how many were checked."""
    checked = 0
    for i in range(result.n_findings):
        f = result.finding(i)
        if f.start is None or f.end is None:
            continue
        loaded: LoadedRule = result.rules[int(result.f_rule[i])]
        text = result.batch.text_of(int(result.f_turn[i]))
        piece = text[f.start : f.end].lower()
        p = loaded.detector.params
        if isinstance(p, KeywordParams) and p.any:
            assert piece in {w.lower() for w in p.any}, (f, text)
        elif isinstance(p, RegexParams):
            assert p.regex and re.fullmatch(p.regex, piece, re.IGNORECASE), (f, text)
        elif isinstance(p, OrderParams):
            assert piece in {w.lower() for w in p.then.phrases}, (f, text)
        else:
            continue
        assert f.evidence.count("【") == 1 and f"【{text[f.start : f.end]}】" in f.evidence
        checked += 1
    return checked


def test_demo_data_spans_point_at_the_phrases(demo: tuple[pd.DataFrame, pa.Table]) -> None:
    inter, utt = demo
    assert _check_spans(_inspector().run(Batch.from_frames(inter, utt))) > 100


def _fragments() -> list[str]:
    """Pieces random turns are made of: every phrase of both packs, glue and multi-byte characters."""
    out: set[str] = set()
    for r in load_packs().rules:
        for terms in r.detector.terms():
            out.update((*terms.phrases, *terms.negations, *terms.exceptions, *terms.prefilter))
    out.update(["。", "，", "？", " ", "x", "9", "é", "Ω", "😀", "𠀀", "订单", "的", "s", "A", "138****5678"])
    out.update(["HELLO", "Hi!", "I PROMISE", "您上次买的订单", "your last order", "嗯，请问", "um, so"])
    return sorted(out)


_FRAGMENTS = _fragments()

_turn = st.tuples(
    st.sampled_from(["agent", "customer", "bot", "system"]),
    st.lists(st.sampled_from(_FRAGMENTS), min_size=0, max_size=6).map("".join),
    st.sampled_from([None, "id_card", "bank_card,phone"]),
)
_conversation = st.tuples(
    st.lists(_turn, min_size=0, max_size=8),
    st.sampled_from(["zh", "en", "zh-CN", None]),
    st.sampled_from(["phone", "chat", "store", "email"]),
    st.sampled_from([None, 30.0, 400.0]),
)


def _rows(
    i: int, conv: tuple[list[tuple[str, str, str | None]], Any, str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    turns, lang, channel, hold = conv
    iid = f"c{i}"
    rows = [
        {"interaction_id": iid, "seq": n, "speaker": s, "text": t, "offset_seconds": 25.0 * n, "pii_kinds": k}
        for n, (s, t, k) in enumerate(turns, start=1)
    ]
    inter = {"interaction_id": iid, "channel": channel, "language": lang, "topic": None, "hold_seconds": hold}
    return rows, inter


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_conversation, min_size=1, max_size=12))
def test_random_conversations_batch_equals_one_at_a_time(convs: list[Any]) -> None:
    made = [_rows(i, c) for i, c in enumerate(convs)]
    result = _inspector().run(batch_of(made))
    alone = [inspect_conversation(rows, inter, _inspector()) for rows, inter in made]
    assert result.conversations() == alone
    _check_spans(result)


def test_many_random_conversations_batch_equals_one_at_a_time() -> None:
    """The same as above without shrinking: 1,000 seeded conversations, enough to hit nearly every rule."""
    rng = random.Random(11)
    made = []
    for i in range(1000):
        turns = [
            (
                rng.choice(["agent", "agent", "customer", "bot"]),
                "".join(rng.choices(_FRAGMENTS, k=rng.randint(0, 5))),
                rng.choice([None, None, "id_card", "bank_card,phone"]),
            )
            for _ in range(rng.randint(0, 9))
        ]
        conv = (turns, rng.choice(["zh", "en"]), rng.choice(["phone", "chat", "store"]), rng.choice([None, 400.0]))
        made.append(_rows(i, conv))
    result = _inspector().run(batch_of(made))
    alone = [inspect_conversation(rows, inter, _inspector()) for rows, inter in made]
    assert result.conversations() == alone
    found_rules = {f.rule_id for r in alone for f in r.findings}
    assert len(found_rules) >= 26, sorted(found_rules)  # every keyword, regex, structural, personal-data rule
    assert _check_spans(result) > 200


# -- byte and character offsets, by hand ---------------------------------------------------------


def test_spans_count_characters_not_bytes() -> None:
    promise = rule("keywords", {"any": ["保证", "i promise"]}, speaker="agent")
    # 😀 is 4 UTF-8 bytes, 我 3, é 2: spans are characters of the turn
    assert spans(find(promise, [("agent", "😀我保证"), ("agent", "Café: I promise")])) == [(1, 2, 4), (2, 6, 15)]
    assert spans(find(promise, [("agent", "𠀀😀保证😀保证")])) == [(1, 2, 4), (1, 5, 7)]


def test_negation_window_counts_characters() -> None:
    promise = rule("keywords", {"any": ["保证"], "negations": ["不"], "negation_window": 2}, speaker="agent")
    # 不 ends 2 characters before 保证 (6 bytes): negated; 3 characters before: not negated
    assert find(promise, [("agent", "😀不敢😀保证")]) == []
    assert spans(find(promise, [("agent", "不😀😀😀保证")])) == [(1, 4, 6)]


def test_whole_words_next_to_multibyte_characters() -> None:
    sue = rule("keywords", {"any": ["sue"]}, speaker="customer")
    # a non-ASCII letter is not part of a Latin word (as before); an ASCII letter or digit is
    assert spans(
        find(sue, [("customer", "ésue"), ("customer", "issue"), ("customer", "sue9"), ("customer", "😀sue😀")])
    ) == [
        (1, 1, 4),
        (4, 1, 4),
    ]


def test_regex_spans_after_multibyte_characters() -> None:
    history = rule("regex", {"regex": "您上次.{0,5}订单", "prefilter": ["您上次"]}, speaker="agent")
    assert spans(find(history, [("agent", "😀😀您上次的𠀀订单")])) == [(1, 2, 9)]


def test_greeting_window_whole_words_and_punctuation() -> None:
    greeting = rule(
        "position", {"phrases": ["hi", "thank you for calling", "100%", "您好"], "turns": 1}, speaker="agent"
    )
    missing = [(None, None, None)]  # a conversation-level finding
    assert spans(find(greeting, [("agent", "Chi is here")], language="en")) == missing
    assert spans(find(greeting, [("agent", "hi5 there")], language="en")) == missing
    assert spans(find(greeting, [("agent", "x100%")], language="en")) == missing
    assert find(greeting, [("agent", "éhi")], language="en") == []
    assert find(greeting, [("agent", "THANK YOU FOR CALLING!")], language="en") == []
    assert find(greeting, [("agent", "100% sure")], language="en") == []
    assert find(greeting, [("agent", "你您好")]) == []
    assert spans(find(greeting, [("customer", "hi"), ("agent", "ok"), ("agent", "hi")], language="en")) == missing


def test_own_automaton_over_some_turns_finds_the_same_hits_as_the_batch_wide_one() -> None:
    """Phrase sets the batch-wide automaton does not cover (a plug-in matching terms it did not
    list) are searched with their own automaton over only the turns asked for; they get exactly the
    hits the batch-wide automaton gives in those turns."""
    from csqm.inspection.detectors.base import DetectContext
    from csqm.inspection.detectors.terms import PhraseIndex, match_terms

    rng = random.Random(5)
    made = []
    for i in range(200):
        turns = [
            (rng.choice(["agent", "customer"]), "".join(rng.choices(_FRAGMENTS, k=rng.randint(0, 5))), None)
            for _ in range(rng.randint(0, 8))
        ]
        made.append(_rows(i, (turns, rng.choice(["zh", "en"]), "phone", None)))
    batch = batch_of(made)
    inspector = _inspector()
    sparse = [t for r in inspector.rules for t in r.detector.sparse_terms()]
    assert len(sparse) >= 6  # greeting, closing and identity check of both packs
    dense = PhraseIndex(lit for t in sparse for lit in t.literals())
    everywhere = dense.search(batch)
    ctx = DetectContext(batch, PhraseIndex(["no such phrase"]))  # covers none of them
    compared = 0
    for terms in sparse:
        assert ctx.index.is_sparse(terms) and not dense.is_sparse(terms)
        assert not inspector.index.is_sparse(terms)  # the engine searches them with everything else
        mask = np.array([rng.random() < 0.4 for _ in range(batch.n_turns)], dtype=bool)
        for chars in (True, False):
            want = match_terms(terms, dense, everywhere, mask, chars=chars)
            got = ctx.match(terms, mask, chars=chars)
            for field in ("turn", "start", "end", "term"):
                assert np.array_equal(getattr(got, field), getattr(want, field)), (terms, field)
            compared += len(want)
    assert compared > 200
