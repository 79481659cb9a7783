"""Offline sentiment and emotion of customer-service turns, in Chinese and English.

Nothing is downloaded at run time::

    from csqm.inspection.sentiment import sentiment_scores, emotions
    sentiment_scores(["你们这是欺骗消费者，我要投诉", "Thanks, that helped!", None])  # ≈ [-0.97, 0.89, 0.0]
    emotions(["不是骗你，已经退款了", "我不太满意"], lang="zh")   # [(), ("disappointment",)]

* Chinese (``zh``): a logistic model over hashed character 1–3-grams, NB-weighted, trained on
  ChnSentiCorp by ``scripts/train_sentiment.py`` (the small artifact ``model_zh.npz`` ships here);
  numpy only at run time.
* English (``en``): VADER (``vaderSentiment``, lexicon inside its wheel).
* Both: adjusted to customer service by ``lexicon.yaml`` (emotion cues with negation handling and
  polarity phrases), which also drives :func:`emotions`.
* Plug-ins: :func:`register_model` or the entry point group ``csqm.sentiment_models``;
  :class:`TransformerSentiment` runs a Hugging Face classifier from a local directory
  (extra ``csqm[transformer]``).
"""

from __future__ import annotations

from csqm.inspection.sentiment.api import emotion_labels, emotions, resolve_language, sentiment_scores
from csqm.inspection.sentiment.models import SentimentModel, detect_language
from csqm.inspection.sentiment.registry import available_models, load_model, register_model, unregister_model
from csqm.inspection.sentiment.transformer import TransformerSentiment

__all__ = [
    "SentimentModel",
    "TransformerSentiment",
    "available_models",
    "detect_language",
    "emotion_labels",
    "emotions",
    "load_model",
    "register_model",
    "resolve_language",
    "sentiment_scores",
    "unregister_model",
]
