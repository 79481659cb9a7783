"""The detector registry: built-ins, plug-ins through providers / entry points, duplicates fail."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata
from typing import Any

import pytest

from csqm.errors import ConfigError
from csqm.inspection.detectors import registry
from csqm.inspection.detectors.base import ConversationDetector, Turn
from tests.inspection.helpers import find, rule, spans

BUILTIN = {
    "keywords",
    "regex",
    "position",
    "absence",
    "order",
    "silence",
    "reply_latency",
    "long_hold",
    "repetition",
    "sentiment",
    "mood_trend",
    "personal_data",
    "classifier",
}


class ShoutDetector(ConversationDetector):
    """Turns written in capitals (a plug-in written one conversation at a time)."""

    name = "shout"

    def check(self, turns: list[Turn], conversation: dict[str, Any]) -> list[tuple[int | None, int, int, str]]:
        return [(t.index, 0, len(t.text), "SHOUTING") for t in turns if t.text.isupper()]


class AnotherKeywords(ShoutDetector):
    name = "keywords"


@pytest.fixture
def plugin() -> Iterator[None]:
    registry.register_provider("test_plugin", lambda: [ShoutDetector])
    yield
    registry.unregister_provider("test_plugin")


def test_builtins_are_registered() -> None:
    assert set(registry.detector_classes()) >= BUILTIN
    for cls in registry.detector_classes().values():
        assert cls.__doc__, f"{cls.name} has no docstring"


def test_plugin_detector_is_usable(plugin: None) -> None:
    found = find(rule("shout", {}, speaker="customer"), [("customer", "HELLO"), ("agent", "HI"), ("customer", "ok")])
    assert spans(found) == [(1, 0, 5)]
    assert found[0].evidence == "SHOUTING"


def test_duplicate_names_fail_at_start_up() -> None:
    registry.register_provider("dupe", lambda: [AnotherKeywords])
    try:
        with pytest.raises(ConfigError, match="Two detectors are named 'keywords'"):
            registry.detector_classes()
    finally:
        registry.unregister_provider("dupe")


def test_entry_points_are_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    ep = metadata.EntryPoint(name="shouting", value=f"{__name__}:ShoutDetector", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry.metadata, "entry_points", lambda group: [ep] if group == ep.group else [])
    registry.detector_classes.cache_clear()
    try:
        assert registry.detector_classes()["shout"] is ShoutDetector
    finally:
        monkeypatch.undo()
        registry.detector_classes.cache_clear()


def test_unknown_detector() -> None:
    with pytest.raises(KeyError, match="unknown detector"):
        registry.get_detector("nope")
