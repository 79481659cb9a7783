"""The shipped packs catch the problems the demo data plants, and leave ordinary lines alone."""

from __future__ import annotations

import functools

import pytest

from csqm.inspection.engine import Inspector
from csqm.inspection.loading import load_packs
from tests.inspection.helpers import FakeSentiment, batch_of, conversation


@functools.cache
def _inspector() -> Inspector:
    return Inspector(load_packs(), sentiment=FakeSentiment())


def _rules(speaker: str, text: str, lang: str = "zh", channel: str = "phone") -> set[str]:
    turns = [("agent", "您好" if lang == "zh" else "Hello"), (speaker, text)]
    result = _inspector().run(batch_of([conversation(turns, language=lang, channel=channel)])).conversation(0)
    return {f.rule_id for f in result.findings if f.seq == 2}


ZH = [
    ("agent", "这不归我管，您找物流那边吧。", "zh.forbidden.shirking"),
    ("agent", "规则都写在页面上了，你自己看。", "zh.forbidden.perfunctory"),
    ("agent", "不知道，系统上没显示。", "zh.forbidden.perfunctory"),
    ("agent", "这个我也没办法，您别为难我了。", "zh.forbidden.perfunctory"),
    ("agent", "我都说了好几遍了，听不懂吗？", "zh.forbidden.rude"),
    ("agent", "反正我这边处理不了，您爱等不等。", "zh.attitude.impatient"),
    ("agent", "我保证明天一定送到。", "zh.commitment.absolute"),
    ("agent", "百分百没问题。", "zh.commitment.absolute"),
    ("customer", "谢谢你，帮了大忙了！", "zh.signal.customer_thanks"),
    ("agent", "我看到您上次3月2日买智能手表的订单也咨询过类似问题。", "zh.signal.history_referenced"),
    ("agent", "您上次那笔蓝牙耳机的订单是我们同事跟进的。", "zh.signal.history_referenced"),
    ("customer", "你们这是欺骗消费者！", "zh.risk.escalation"),
    ("customer", "再不处理我就打12315，找媒体曝光。", "zh.risk.escalation"),
]

ZH_CLEAN = [
    ("agent", "最近上海地区受天气影响，物流有一定延迟。"),
    ("agent", "我不能保证具体时间，但会尽快。"),
    ("agent", "企业采购满一定数量可以申请专属报价。"),
    ("customer", "好的，谢谢。"),
    ("customer", "我没有要投诉的意思，也不会去曝光。"),
]

EN = [
    ("agent", "That's not my department, ask the courier.", "en.forbidden.shirking"),
    ("agent", "Look it up yourself on the order page.", "en.forbidden.perfunctory"),
    ("agent", "I don't know, the system doesn't show it.", "en.forbidden.perfunctory"),
    ("agent", "I've said it several times, don't you understand?", "en.forbidden.rude"),
    ("customer", "Thank you so much, you've been a great help!", "en.signal.customer_thanks"),
    (
        "agent",
        "I can see your last order on 2 March for the watch had a similar issue.",
        "en.signal.history_referenced",
    ),
    ("customer", "This is cheating your customers!", "en.risk.escalation"),
]

EN_CLEAN = [
    ("customer", "Hi support, the invoice has the wrong company name, can you reissue it?"),
    ("agent", "I can't guarantee a time, but I'll chase it."),
]


@pytest.mark.parametrize(("speaker", "text", "rule_id"), ZH + [(s, t, r) for s, t, r in EN])
def test_planted_phrasings_are_caught(speaker: str, text: str, rule_id: str) -> None:
    lang = rule_id.split(".")[0]
    assert rule_id in _rules(speaker, text, lang)


@pytest.mark.parametrize(("speaker", "text"), ZH_CLEAN)
def test_ordinary_chinese_lines_pass(speaker: str, text: str) -> None:
    assert _rules(speaker, text) == set()


@pytest.mark.parametrize(("speaker", "text"), EN_CLEAN)
def test_ordinary_english_lines_pass(speaker: str, text: str) -> None:
    assert _rules(speaker, text, "en") == set()


def test_agent_reading_out_an_id_fails_the_call() -> None:
    turns = [
        ("agent", "您好"),
        ("agent", "跟您核对一下，您登记的身份证号是110***********123X，对吧？", 20.0, "id_card"),
    ]
    result = _inspector().run(batch_of([conversation(turns)])).conversation(0)
    assert result.fatal_count == 1 and result.score == 0.0 and result.passed is False


def test_english_conversations_use_the_english_pack() -> None:
    result = _inspector().run(batch_of([conversation([("agent", "Hello")], language="en-GB")])).conversation(0)
    assert result.scorecard_id == "en_phone"
