"""The model registry: built-ins, registration, duplicates, entry points."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from importlib import metadata

import numpy as np
import pytest

from csqm.errors import ConfigError
from csqm.inspection.sentiment import (
    SentimentModel,
    available_models,
    load_model,
    register_model,
    registry,
    unregister_model,
)


class Constant:
    """A model that thinks everything is fairly positive."""

    name = "constant"

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return np.where([bool(t) for t in texts], 0.8, 0.5).astype(np.float64)


@pytest.fixture
def clean_registry() -> Iterator[None]:
    before = dict(registry._FACTORIES)
    loaded = dict(registry._LOADED)
    read = registry._entry_points_read
    yield
    registry._FACTORIES.clear()
    registry._FACTORIES.update(before)
    registry._LOADED.clear()
    registry._LOADED.update(loaded)
    registry._entry_points_read = read


def test_builtins_are_cached_and_satisfy_the_protocol() -> None:
    for name in ("zh", "en"):
        model = load_model(name)
        assert isinstance(model, SentimentModel)
        assert load_model(name) is model
        p = model.predict_proba(["好", "good"])
        assert p.dtype == np.float64 and ((p >= 0) & (p <= 1)).all()
    assert {"zh", "en"} <= set(available_models())
    assert load_model() is load_model("zh")


def test_register_and_duplicates(clean_registry: None) -> None:
    register_model("constant-test", Constant)
    assert "constant-test" in available_models()
    model = load_model("constant-test")
    assert model.predict_proba(["x", ""]).tolist() == [0.8, 0.5]
    with pytest.raises(ConfigError, match="already registered"):
        register_model("constant-test", Constant)
    with pytest.raises(ConfigError, match="already registered"):
        register_model("zh", Constant)
    with pytest.raises(ConfigError, match="non-empty"):
        register_model(" ", Constant)
    unregister_model("constant-test")
    with pytest.raises(ConfigError, match="Unknown sentiment model"):
        load_model("constant-test")
    with pytest.raises(ConfigError, match="cannot be unregistered"):
        unregister_model("zh")


def test_a_factory_must_give_a_model(clean_registry: None) -> None:
    register_model("broken-test", lambda: object())  # type: ignore[arg-type, return-value]
    with pytest.raises(ConfigError, match="predict_proba"):
        load_model("broken-test")


def test_entry_points(monkeypatch: pytest.MonkeyPatch, clean_registry: None) -> None:
    good = metadata.EntryPoint("plugin-test", f"{__name__}:Constant", registry.ENTRY_POINT_GROUP)
    bad = metadata.EntryPoint("missing-test", "no_such_module_xyz:make", registry.ENTRY_POINT_GROUP)

    def fake(group: str) -> list[metadata.EntryPoint]:
        assert group == registry.ENTRY_POINT_GROUP
        return [good, bad]

    monkeypatch.setattr(registry.metadata, "entry_points", fake)
    registry._entry_points_read = False
    assert {"plugin-test", "missing-test"} <= set(available_models())
    assert load_model("plugin-test").name == "constant"
    with pytest.raises(ConfigError, match="cannot be loaded"):
        load_model("missing-test")
    with pytest.raises(ConfigError, match="already registered"):
        register_model("plugin-test", Constant)


def test_entry_point_cannot_take_a_builtin_name(monkeypatch: pytest.MonkeyPatch, clean_registry: None) -> None:
    clash = metadata.EntryPoint("zh", f"{__name__}:Constant", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry.metadata, "entry_points", lambda group: [clash])
    registry._entry_points_read = False
    with pytest.raises(ConfigError, match="taken name"):
        available_models()
