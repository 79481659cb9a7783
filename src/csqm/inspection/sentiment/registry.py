"""Named sentiment models: the built-ins (``zh``, ``en``), registered ones and plug-ins.

A plug-in package offers models through the entry point group ``csqm.sentiment_models``; the entry
point's name is the model's name and its object a zero-argument factory::

    # the plug-in's pyproject.toml
    [project.entry-points."csqm.sentiment_models"]
    my_bert = "my_plugin.sentiment:make_model"   # def make_model() -> SentimentModel

Or in code: ``register_model("my_bert", lambda: TransformerSentiment(Path("models/bert")))``.
A name can be registered once: a second registration fails with a
:class:`~csqm.errors.ConfigError`. Models are built on first use and then cached.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib import metadata

from csqm.errors import ConfigError
from csqm.inspection.sentiment.models import SentimentModel, builtin_en, builtin_zh

ENTRY_POINT_GROUP = "csqm.sentiment_models"

Factory = Callable[[], SentimentModel]

_FACTORIES: dict[str, Factory] = {"zh": builtin_zh, "en": builtin_en}
_LOADED: dict[str, SentimentModel] = {}
_LOCK = threading.RLock()
_entry_points_read = False


def register_model(name: str, factory: Factory) -> None:
    """Make ``factory`` available as ``load_model(name)``; a name already taken fails."""
    if not name or not name.strip():
        raise ConfigError("A sentiment model needs a non-empty name.")
    with _LOCK:
        _read_entry_points()
        if name in _FACTORIES:
            raise ConfigError(f"A sentiment model named {name!r} is already registered.")
        _FACTORIES[name] = factory


def unregister_model(name: str) -> None:
    """Forget a registered model (mainly for tests); the built-ins cannot be removed."""
    if name in ("zh", "en"):
        raise ConfigError(f"The built-in sentiment model {name!r} cannot be unregistered.")
    with _LOCK:
        _FACTORIES.pop(name, None)
        _LOADED.pop(name, None)


def available_models() -> list[str]:
    """Names of every model that :func:`load_model` can load."""
    with _LOCK:
        _read_entry_points()
        return sorted(_FACTORIES)


def load_model(lang: str = "zh") -> SentimentModel:
    """The model named ``lang``: ``"zh"`` (built-in Chinese), ``"en"`` (English) or a registered name.

    The model is built once and cached; loading needs no network.
    """
    with _LOCK:
        model = _LOADED.get(lang)
        if model is not None:
            return model
        _read_entry_points()
        factory = _FACTORIES.get(lang)
        if factory is None:
            raise ConfigError(f"Unknown sentiment model {lang!r}; known: {', '.join(sorted(_FACTORIES))}.")
        model = factory()
        if not callable(getattr(model, "predict_proba", None)):
            raise ConfigError(f"The sentiment model {lang!r} has no predict_proba method.")
        _LOADED[lang] = model
        return model


def _read_entry_points() -> None:
    global _entry_points_read
    if _entry_points_read:
        return
    _entry_points_read = True
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _FACTORIES:
            raise ConfigError(f"The sentiment model plug-in {ep.value} reuses the taken name {ep.name!r}.")
        _FACTORIES[ep.name] = _lazy(ep)


def _lazy(ep: metadata.EntryPoint) -> Factory:
    def factory() -> SentimentModel:
        try:
            obj = ep.load()
        except Exception as exc:
            raise ConfigError(f"The sentiment model plug-in {ep.value} cannot be loaded: {exc}") from exc
        model: SentimentModel = obj()
        return model

    return factory
