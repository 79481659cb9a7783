"""sentiment_scores / emotions: languages, empty input, customer-service phrases, negation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csqm.inspection.sentiment import (
    detect_language,
    emotion_labels,
    emotions,
    load_model,
    resolve_language,
    sentiment_scores,
)
from tests.inspection_sentiment.cs_phrases import EN, ZH


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("你好", "zh"),
        ("hello", "en"),
        ("订单号 SF123456 没更新", "zh"),
        ("OK 谢谢", "zh"),
        ("12345", "en"),
        ("？？？", "en"),
        ("", "en"),
        (None, "en"),
        ("𠀀", "zh"),  # CJK extension B
    ],
)
def test_detect_language(text: str | None, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    ("code", "resolved"),
    [
        ("zh", "zh"),
        ("zh-CN", "zh"),
        ("zh_TW", "zh"),
        ("ZH", "zh"),
        ("en", "en"),
        ("en-US", "en"),
        (None, None),
        ("", None),
        ("auto", None),
        ("ja", None),
    ],
)
def test_resolve_language(code: str | None, resolved: str | None) -> None:
    assert resolve_language(code) == resolved


def test_empty_and_none_inputs() -> None:
    scores = sentiment_scores([None, "", "   ", "谢谢", None])
    assert scores.dtype == np.float64 and scores.shape == (5,)
    assert scores[[0, 1, 2, 4]].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert scores[3] > 0
    assert sentiment_scores([]).shape == (0,)
    assert emotions([None, "", "谢谢"]) == [(), (), ("gratitude",)]
    assert emotions([]) == []
    for lang in ("zh", "en"):
        assert load_model(lang).predict_proba(["", "  "]).tolist() == [0.5, 0.5]


def test_mixed_languages_match_single_language_calls() -> None:
    texts = ["我要投诉", "Thanks, that helped!", None, "This is a scam", "谢谢你，帮了大忙"]
    mixed = sentiment_scores(texts)
    assert mixed[0] == sentiment_scores(["我要投诉"], lang="zh")[0]
    assert mixed[1] == sentiment_scores(["Thanks, that helped!"], lang="en")[0]
    assert np.sign(mixed).tolist() == [-1.0, 1.0, 0.0, -1.0, 1.0]
    assert np.all(np.abs(mixed) <= 1.0)
    assert emotions(texts) == [("anger",), ("gratitude",), (), ("anger",), ("gratitude",)]
    # a regional code selects the language for every text
    assert sentiment_scores(["我要投诉"], lang="zh-CN")[0] == mixed[0]


def test_scores_do_not_depend_on_the_batch() -> None:
    texts = list(ZH["neg"] + ZH["pos"] + ZH["neu"])
    together = sentiment_scores(texts, lang="zh")
    alone = np.array([sentiment_scores([t], lang="zh")[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-12)


@pytest.mark.parametrize(("lang", "table"), [("zh", ZH), ("en", EN)])
def test_customer_service_phrases(lang: str, table: dict[str, tuple[str, ...]]) -> None:
    for cls, texts in table.items():
        for text, score in zip(texts, sentiment_scores(texts, lang=lang), strict=True):
            if cls == "neg":
                assert score < -0.3, (text, score)
            elif cls == "pos":
                assert score > 0.3, (text, score)
            else:
                assert -0.6 < score < 0.6, (text, score)


def test_named_domain_examples() -> None:
    fraud, thanks, ok = sentiment_scores(["你们这是欺骗消费者，我要投诉", "谢谢你，帮了大忙", "好的"])
    assert fraud < -0.9
    assert thanks > 0.5
    assert -0.2 < ok < 0.6


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # anger, and what negation does to it
        ("你们这是欺骗消费者，我要投诉", ("anger",)),
        ("不是骗你，已经退款了", ()),
        ("我没有生气，只是问问", ()),
        ("这不是骗人吗？", ("anger",)),  # rhetorical question: still an accusation
        ("难道不是欺骗吗", ("anger",)),
        ("不得不投诉你们了", ("anger",)),  # 不得不 is no negation
        ("别生气，我马上帮您处理", ("anxiety",)),
        # disappointment / satisfaction and their negation
        ("我不满意", ("disappointment",)),
        ("我不太满意这个结果", ("disappointment",)),
        ("不是很满意", ("disappointment",)),
        ("服务不错，我很满意", ("satisfaction",)),
        ("太失望了", ("disappointment",)),
        ("问了三遍了都没人回复", ("disappointment",)),
        # anxiety / urgency
        ("急用，麻烦尽快发货", ("anxiety",)),
        ("不着急，您慢慢查", ()),
        # gratitude
        ("谢谢你，帮了大忙", ("gratitude",)),
        ("麻烦尽快处理，谢谢", ("anxiety", "gratitude")),
        # confusion
        ("这个怎么操作，看不懂", ("confusion",)),
        ("什么意思？", ("confusion",)),
        # nothing
        ("好的", ()),
        ("我想查一下订单", ()),
        ("滚筒洗衣机的门打不开", ()),
    ],
)
def test_emotions_zh(text: str, expected: tuple[str, ...]) -> None:
    assert emotions([text], lang="zh") == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This is a scam, I want to file a complaint", ("anger",)),
        ("I am not angry, just asking", ()),
        ("I'm not happy with the service", ("disappointment",)),
        ("I am very happy with the service", ("satisfaction",)),
        ("Thank you so much!", ("gratitude",)),
        ("I need this urgently", ("anxiety",)),
        ("No rush, whenever you can", ()),
        ("I don't understand the bill", ("confusion",)),
        ("I don't know what happened to my order", ("confusion",)),
        ("Can you check my order?", ()),
        ("THANKS", ("gratitude",)),
        ("thankless job", ()),  # whole words only
    ],
)
def test_emotions_en(text: str, expected: tuple[str, ...]) -> None:
    assert emotions([text], lang="en") == [expected]


def test_english_polarity() -> None:
    pos = ["Great service, thank you!", "The agent was very helpful and friendly", "Perfect, works now"]
    neg = ["This is terrible, I want my money back", "Worst experience ever", "The product broke after a day"]
    assert (sentiment_scores(pos, lang="en") > 0.3).all()
    assert (sentiment_scores(neg, lang="en") < -0.3).all()


def test_emotion_labels() -> None:
    labels = emotion_labels()
    assert labels["anger"] == "愤怒"
    assert {"anger", "anxiety", "confusion", "disappointment", "gratitude", "satisfaction"} == set(labels)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=8), st.sampled_from([None, "zh", "en"]))
def test_any_text_gets_a_bounded_score(texts: list[str | None], lang: str | None) -> None:
    scores = sentiment_scores(texts, lang=lang)
    assert scores.shape == (len(texts),)
    assert np.all((scores >= -1.0) & (scores <= 1.0))
    labels = emotions(texts, lang=lang)
    assert len(labels) == len(texts)
    assert all(list(found) == sorted(set(found)) for found in labels)


def test_odd_characters_do_not_break_scoring() -> None:
    texts = ["a\ud800b 好", "x\udfff", "投诉\x00谢谢", "\x00", "İstanbul 好"]
    assert sentiment_scores(texts).shape == (5,)
    assert emotions(texts)[2] == ("anger", "gratitude")


def test_public_names_are_documented() -> None:
    import csqm.inspection.sentiment as pkg

    for name in pkg.__all__:
        assert getattr(pkg, name).__doc__, name
