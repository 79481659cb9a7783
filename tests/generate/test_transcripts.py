"""Transcripts: variety, personal data with valid checksums, phrases the monitoring looks for, English."""

from __future__ import annotations

import re

import pandas as pd

from csqm.generate.stages import STAGES, phrasebook
from csqm.privacy.validators import id_check_char, luhn_ok
from tests.generate.signals import FORBIDDEN

Frames = dict[str, pd.DataFrame]
ID18 = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9X](?![0-9])")
CARD = re.compile(r"(?<![0-9])62[0-9]{2}(?: ?[0-9]{4}){3}(?![0-9])")
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9] ?[0-9]{4} ?[0-9]{4}(?![0-9])")
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_transcripts_are_varied(zh: Frames) -> None:
    utt = zh["utterances"]
    first = utt[utt.interaction_id.isin(zh["interactions"].interaction_id.head(2000))]
    assert first.text.nunique() > 2000
    agent = first[first.speaker == "agent"].text
    assert agent.nunique() > 0.3 * len(agent)  # greetings and closings are scripted


def test_personal_data_in_transcripts_has_valid_checksums(zh: Frames) -> None:
    text = zh["utterances"].text
    ids = [m for t in text for m in ID18.findall(t)]
    cards = [m.replace(" ", "") for t in text for m in CARD.findall(t)]
    phones = [m.replace(" ", "") for t in text for m in MOBILE.findall(t)]
    assert len(ids) >= 20 and all(id_check_char(i[:17]) == i[17] for i in ids)
    assert len(cards) >= 20 and all(luhn_ok(c) for c in cards)
    assert len(phones) >= 50
    known = set(zh["customers"].customer_phone.dropna())
    assert sum(p in known for p in phones) == len(phones)
    assert text.str.contains(r"@[a-z0-9]+\.com", regex=True).sum() >= 20


def test_some_agents_read_out_a_full_id_number(zh: Frames) -> None:
    agent = zh["utterances"][zh["utterances"].speaker == "agent"]
    leaks = agent[agent.text.str.contains(ID18.pattern, regex=True)]
    assert 5 <= leaks.interaction_id.nunique() <= 0.02 * len(zh["interactions"])


def test_thanks_and_history_references(zh: Frames) -> None:
    utt = zh["utterances"]
    customer, agent = utt[utt.speaker == "customer"], utt[utt.speaker == "agent"]
    thanks = customer[customer.text.str.contains("谢谢你，帮了大忙", regex=False)].interaction_id.nunique()
    history = agent[agent.text.str.contains("您上次.{0,30}的订单", regex=True)].interaction_id.nunique()
    handled = zh["interactions"].agent_id.notna().sum()
    assert 0.04 < thanks / handled < 0.15
    assert 0.04 < history / handled < 0.2


def test_forbidden_phrases_only_in_the_forbidden_stage() -> None:
    for lang in ("zh", "en"):
        book = phrasebook(lang)
        texts = book.templates.texts
        stage = STAGES.index("forbidden")
        lo, count = book.core_offset[stage, 0], book.core_count[stage, 0]
        forbidden = set(range(lo, lo + count))
        for i, text in enumerate(texts):
            hit = any(p in text for p in FORBIDDEN[lang])
            assert hit == (i in forbidden), (lang, text)


def test_escalation_keywords_and_system_turns(zh: Frames) -> None:
    utt = zh["utterances"]
    assert utt[utt.speaker == "customer"].text.str.contains("投诉|欺骗", regex=True).sum() > 50
    system = utt[utt.speaker == "system"].text
    assert system.str.contains("转接").any() and system.str.contains("录音").any()


def test_english_dataset(en: Frames) -> None:
    utt, inter = en["utterances"], en["interactions"]
    assert not utt.text.str.contains(CJK.pattern, regex=True).any()
    assert set(inter.language) == {"en"}
    assert "Delivery tracking" in set(inter.topic)
    assert not inter.region.str.contains(CJK.pattern, regex=True).any()
    assert not en["surveys"].comment.dropna().str.contains(CJK.pattern, regex=True).any()
    assert utt.text.nunique() > 3000
    assert utt.text.str.contains("you've been a great help").any()
    assert utt.text.str.contains("your (?:last|previous) order", regex=True).any()
