"""The built-in Chinese model: artifact, accuracy on ChnSentiCorp, deterministic training."""

from __future__ import annotations

import csv
import importlib.util
import socket
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pytest

from csqm.inspection.sentiment import load_model
from csqm.inspection.sentiment.features import codes, hashed_ngrams
from csqm.inspection.sentiment.linear import LinearNgramModel
from csqm.inspection.sentiment.models import ARTIFACT, artifact_path, load_zh_ngram
from csqm.inspection.sentiment.train import TrainConfig, evaluate, fit, lbfgs
from tests.conftest import ROOT, shared_data

MAX_ARTIFACT_BYTES = 5_000_000


def _split(name: str) -> tuple[list[str], np.ndarray]:
    path = shared_data("chnsenticorp", f"{name}.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], np.array([int(r["label"]) for r in rows])


def test_artifact_is_small_and_loads_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    path = artifact_path()
    assert path.is_file()
    assert path.stat().st_size < MAX_ARTIFACT_BYTES

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the sentiment model must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    model = load_zh_ngram()
    assert model.weights.dtype == np.float16
    assert model.meta["validation"]["accuracy"] >= 0.92
    p = model.predict_proba(["质量很好，物超所值", "太差了，再也不来了", ""])
    assert p.dtype == np.float64
    assert p[0] > 0.5 > p[1]
    assert p[2] == 0.5


def test_artifact_is_package_data() -> None:
    """A wheel must carry the model: pyproject's package-data has to match its file name."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["csqm"]
    relative = f"inspection/sentiment/{ARTIFACT}"
    assert any(fnmatch(relative, p) or fnmatch(ARTIFACT, p) for p in patterns), patterns


def test_validation_accuracy() -> None:
    texts, labels = _split("validation")
    for model in (load_zh_ngram(), load_model("zh")):
        scores = evaluate(model.predict_proba(texts), labels)
        assert scores["accuracy"] >= 0.92, (model.name, scores)
        assert scores["macro_f1"] >= 0.92, (model.name, scores)


def test_training_is_deterministic() -> None:
    texts, labels = _split("train")
    rng = np.random.default_rng(7)
    pick = np.sort(rng.choice(len(texts), size=800, replace=False))
    sample, y = [texts[i] for i in pick], labels[pick]
    config = TrainConfig(bits=16, max_iter=60)
    first, second = fit(sample, y, config), fit(sample, y, config)
    assert np.array_equal(first.weights, second.weights)
    assert first.bias == second.bias
    val_texts, val_labels = _split("validation")
    assert evaluate(first.predict_proba(val_texts), val_labels)["accuracy"] > 0.75


def test_training_script_reproduces_the_artifact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """scripts/train_sentiment.py writes the shipped artifact again, with the same validation scores.

    The full training takes about 5 s, so this runs in every test run.

    On the machine that trained it the file is identical byte for byte; another CPU may round a
    float sum differently, so the weights are compared with a float16-sized tolerance.
    """
    data = shared_data("chnsenticorp")
    spec = importlib.util.spec_from_file_location("train_sentiment", ROOT / "scripts" / "train_sentiment.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "model_zh.npz"
    assert script.main(["--data", str(data), "--out", str(out)]) == 0
    shipped, again = load_zh_ngram(), LinearNgramModel.load(out)
    assert again.bits == shipped.bits and again.orders == shipped.orders
    assert np.allclose(again.weights.astype(np.float64), shipped.weights.astype(np.float64), rtol=0, atol=1e-2)
    assert again.bias == pytest.approx(shipped.bias, abs=1e-6)
    val_texts, val_labels = _split("validation")
    scores = evaluate(again.predict_proba(val_texts), val_labels)
    assert scores == evaluate(shipped.predict_proba(val_texts), val_labels) == shipped.meta["validation"]
    assert f"accuracy {scores['accuracy']:.4f}" in capsys.readouterr().out


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = fit(["很好", "不错", "很差", "糟糕"] * 3, [1, 1, 0, 0] * 3, TrainConfig(bits=12, max_iter=50))
    path = tmp_path / "m.npz"
    model.save(path)
    again = LinearNgramModel.load(path)
    assert np.array_equal(again.weights, model.weights)
    assert again.orders == model.orders and again.bits == 12
    texts = ["很好啊", "很差劲", ""]
    assert np.array_equal(again.predict_proba(texts), model.predict_proba(texts))


def test_fit_rejects_bad_labels() -> None:
    with pytest.raises(ValueError, match="labels"):
        fit(["a", "b"], [0, 2])
    with pytest.raises(ValueError, match="labels"):
        fit(["a", "b"], [0])


def test_normalisation_and_batches() -> None:
    a, _ = codes(["ＡＢＣ１２３　好"])
    b, _ = codes(["abc000 好"])
    assert np.array_equal(a, b)
    # a text's features do not depend on its neighbours in the batch (NUL inside a text included)
    alone = hashed_ngrams(["服务很好"], orders=(1, 2, 3), bits=16)
    batch = hashed_ngrams(["差", "服务\x00很好", "", "服务很好"], orders=(1, 2, 3), bits=16)
    assert np.array_equal(batch.bucket[batch.doc == 3], alone.bucket)
    assert list(batch.counts) == [1, 9, 0, 9]  # NUL is dropped: "服务很好" again
    empty = hashed_ngrams([], orders=(1, 2), bits=8)
    assert empty.n_docs == 0 and len(empty.doc) == 0


def test_lbfgs_minimises_a_quadratic() -> None:
    target = np.array([3.0, -2.0, 0.5])
    scale = np.array([1.0, 10.0, 100.0])

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        d = x - target
        return float((scale * d * d).sum()), 2 * scale * d

    found = lbfgs(fun, np.zeros(3), max_iter=200, tol=1e-14)
    assert np.allclose(found, target, atol=1e-5)
