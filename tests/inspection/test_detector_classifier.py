"""classifier detector: any registered trained model, threshold and evidence."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from csqm.inspection.detectors.classifier import register_classifier, unregister_classifier
from csqm.inspection.loading import PackError
from tests.inspection.helpers import find, packs_of, rule, spans


class LengthModel:
    """A 'trained' model: probability grows with the number of characters (max at 10)."""

    def predict(self, texts: Sequence[str], lang: str | None = None) -> np.ndarray:
        return np.array([min(len(t), 10) / 10 for t in texts])


@pytest.fixture(autouse=True)
def _model() -> Iterator[None]:
    register_classifier("length", LengthModel)
    yield
    unregister_classifier("length")


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [(0.5, [(2, 0, 5)]), (0.1, [(1, 0, 2), (2, 0, 5)]), (0.9, [])],
)
def test_classifier(threshold: float, expected: list[object]) -> None:
    r = rule("classifier", {"model": "length", "threshold": threshold}, speaker="agent")
    assert spans(find(r, [("agent", "好的"), ("agent", "我帮您处理"), ("customer", "谢谢您的耐心帮助")])) == expected


def test_evidence_names_the_label() -> None:
    (f,) = find(rule("classifier", {"model": "length", "label": "敷衍"}), [("agent", "一二三四五六")])
    assert f.evidence == "敷衍 p=0.60"


def test_unknown_model_fails_when_run() -> None:
    from csqm.errors import ConfigError

    with pytest.raises(ConfigError, match="nope"):
        find(rule("classifier", {"model": "nope"}), [("agent", "x")])


def test_params_validated() -> None:
    with pytest.raises(PackError, match="threshold"):
        packs_of([rule("classifier", {"model": "length", "threshold": 2})])
