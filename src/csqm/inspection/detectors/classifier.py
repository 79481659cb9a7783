"""A generic detector for trained text classifiers (plug in any model that scores a turn)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from csqm.errors import ConfigError
from csqm.inspection.detectors.base import DetectContext, Detected, Detector, Scope

CLASSIFIER_ENTRY_POINT_GROUP = "csqm.classifiers"


class TextClassifier(Protocol):
    """A trained model: the probability (0–1) that each text belongs to the class it detects."""

    def predict(self, texts: Sequence[str], lang: str | None = None) -> np.ndarray: ...


_FACTORIES: dict[str, Callable[[], TextClassifier]] = {}


def register_classifier(name: str, factory: Callable[[], TextClassifier]) -> None:
    """Make a classifier available to rules as ``params.model: name`` (built lazily, once)."""
    if name in _FACTORIES and _FACTORIES[name] is not factory:
        raise ConfigError(f"A classifier named {name!r} is already registered.")
    _FACTORIES[name] = factory
    load_classifier.cache_clear()


def unregister_classifier(name: str) -> None:
    """Remove a classifier (mainly for tests)."""
    _FACTORIES.pop(name, None)
    load_classifier.cache_clear()


@functools.cache
def load_classifier(name: str) -> TextClassifier:
    """The classifier ``name`` from :func:`register_classifier` or the ``csqm.classifiers`` entry points."""
    if name not in _FACTORIES:
        for ep in metadata.entry_points(group=CLASSIFIER_ENTRY_POINT_GROUP):
            if ep.name == name:
                _FACTORIES[name] = ep.load()
    if name not in _FACTORIES:
        raise ConfigError(f"No text classifier named {name!r} is registered.")
    return _FACTORIES[name]()


class ClassifierParams(BaseModel):
    """Which registered model, the probability from which a turn counts, and a label for evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(min_length=1)
    threshold: float = Field(0.5, ge=0, le=1)
    label: str = ""


class ClassifierDetector(Detector):
    """Turns of the rule's speakers that a trained classifier scores at or above ``threshold``
    (e.g. a perfunctory-answer model). Models register by name in code or via an entry point."""

    name = "classifier"
    Params = ClassifierParams

    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        assert isinstance(self.params, ClassifierParams)
        b, p = ctx.batch, self.params
        turns = np.flatnonzero(scope.turns)
        if not len(turns):
            return Detected.none()
        model = load_classifier(p.model)
        langs = {str(x) for x in b.language[b.conv[turns]] if x}
        prob = np.asarray(model.predict([b.text_of(t) for t in turns.tolist()], next(iter(langs), None)), dtype=float)
        hit = prob >= p.threshold
        label = p.label or p.model
        evidence = [f"{label} p={v:.2f}" for v in prob[hit].tolist()]
        return Detected.at_turns(b, turns[hit], evidence)
