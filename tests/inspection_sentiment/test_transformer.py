"""TransformerSentiment on a tiny, randomly initialised BERT written to tmp_path (no download).

Needs the optional packages torch and transformers: skipped with a reason when they are absent,
except in CI (CI=true), where their absence fails the test.
"""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from csqm.errors import ConfigError
from csqm.inspection.sentiment import TransformerSentiment, load_model, register_model, unregister_model
from tests.conftest import IN_CI

_MISSING = [m for m in ("torch", "transformers") if importlib.util.find_spec(m) is None]
if not _MISSING:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *"好差服务谢投诉满意不", "good", "bad", "thanks", "service"]
TEXTS = ["服务很好", "我要投诉", "", "good service, thanks", "bad", "不满意", "   "]


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip (fail in CI) without torch/transformers; any attempt to reach the network fails the test."""
    if _MISSING:
        reason = f"{', '.join(_MISSING)} not installed (extra csqm[transformer])"
        if IN_CI:
            pytest.fail(f"CI must have them: {reason}", pytrace=False)
        pytest.skip(reason)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("TransformerSentiment must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)


def tiny_model(path: Path, labels: dict[int, str] | None = None) -> Path:
    """Save a randomly initialised 1-layer BERT classifier and its tokenizer into ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    vocab = path / "vocab.txt"
    vocab.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(vocab_file=str(vocab), do_lower_case=True)
    labels = labels or {0: "negative", 1: "positive"}
    config = BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=len(labels),
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
    )
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def _logits(model_dir: Path, texts: list[str]) -> Any:
    tokenizer = BertTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = BertForSequenceClassification.from_pretrained(model_dir, local_files_only=True).eval()
    with torch.inference_mode():
        return model(**tokenizer(texts, padding=True, return_tensors="pt")).logits


def test_predict_proba(tmp_path: Path) -> None:
    model_dir = tiny_model(tmp_path / "tiny")
    model = TransformerSentiment(model_dir, batch_size=2)
    p = model.predict_proba(TEXTS)
    assert p.dtype == np.float64 and p.shape == (len(TEXTS),)
    assert ((p >= 0) & (p <= 1)).all()
    assert p[2] == 0.5 and p[6] == 0.5
    assert model.name == "transformer:tiny"
    # the batch size does not change the answer, nor does running again
    assert np.allclose(TransformerSentiment(model_dir, batch_size=32).predict_proba(TEXTS), p, atol=1e-6)
    assert np.array_equal(model.predict_proba(TEXTS), p)
    expected = torch.softmax(_logits(model_dir, ["服务很好"]), dim=-1)[0, 1].item()
    assert p[0] == pytest.approx(expected, abs=1e-6)


def test_three_classes_count_half_of_neutral(tmp_path: Path) -> None:
    model_dir = tiny_model(tmp_path / "three", {0: "negative", 1: "neutral", 2: "positive"})
    p = TransformerSentiment(model_dir).predict_proba(["我要投诉"])
    probs = torch.softmax(_logits(model_dir, ["我要投诉"]), dim=-1)[0]
    assert p[0] == pytest.approx(probs[2].item() + 0.5 * probs[1].item(), abs=1e-6)


def test_one_logit_uses_a_sigmoid(tmp_path: Path) -> None:
    model_dir = tiny_model(tmp_path / "one", {0: "score"})
    p = TransformerSentiment(model_dir).predict_proba(["好"])
    assert p[0] == pytest.approx(torch.sigmoid(_logits(model_dir, ["好"])[0, 0]).item(), abs=1e-6)


def test_positive_label_must_be_found(tmp_path: Path) -> None:
    model_dir = tiny_model(tmp_path / "odd", {0: "bad", 1: "meh", 2: "great"})
    with pytest.raises(ConfigError, match="positive"):
        TransformerSentiment(model_dir)
    p = TransformerSentiment(model_dir, positive_label="great").predict_proba(["好"])
    assert p[0] == pytest.approx(torch.softmax(_logits(model_dir, ["好"]), dim=-1)[0, 2].item(), abs=1e-6)


def test_plugs_into_the_registry(tmp_path: Path) -> None:
    model_dir = tiny_model(tmp_path / "reg")
    register_model("tiny-bert-test", lambda: TransformerSentiment(model_dir))
    try:
        model = load_model("tiny-bert-test")
        assert isinstance(model, TransformerSentiment)
        assert model.predict_proba(["好", ""]).shape == (2,)
    finally:
        unregister_model("tiny-bert-test")


def test_bad_directories(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config\.json"):
        TransformerSentiment(tmp_path / "nothing-here")
    with pytest.raises(ValueError, match="batch_size"):
        TransformerSentiment(tiny_model(tmp_path / "ok"), batch_size=0)
