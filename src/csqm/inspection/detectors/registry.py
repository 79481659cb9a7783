"""Where detector kinds come from: the built-ins and plug-ins, registered the same way.

A *provider* is a zero-argument callable returning detector classes. The built-ins are one provider
(``builtin``); third-party packages add theirs through the entry point group ``csqm.detectors``::

    # the plug-in's pyproject.toml
    [project.entry-points."csqm.detectors"]
    my_checks = "my_plugin.detectors:detectors"   # def detectors() -> list[type[Detector]]

The entry point may also name a single :class:`Detector` subclass. Two detectors with the same
``name`` fail at start-up with a :class:`~csqm.errors.ConfigError`, whichever providers they came from.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from importlib import metadata

from csqm.errors import ConfigError
from csqm.inspection.detectors.base import Detector

ENTRY_POINT_GROUP = "csqm.detectors"

Provider = Callable[[], Iterable[type[Detector]]]

_PROVIDERS: dict[str, Provider] = {}


def register_provider(name: str, provider: Provider) -> None:
    """Add a provider of detector classes (registering the same provider twice is a no-op)."""
    current = _PROVIDERS.get(name)
    if current is not None and current is not provider:
        raise ConfigError(f"A detector provider named {name!r} is already registered.")
    _PROVIDERS[name] = provider
    detector_classes.cache_clear()


def unregister_provider(name: str) -> None:
    """Remove a provider (mainly for tests); unknown names are ignored."""
    _PROVIDERS.pop(name, None)
    detector_classes.cache_clear()


def builtin_detectors() -> list[type[Detector]]:
    """The detectors shipped with CSQM."""
    from csqm.inspection.detectors import (
        classifier,
        keywords,
        order,
        pii,
        position,
        repetition,
        sentiment,
        timing,
    )

    return [
        keywords.KeywordDetector,
        keywords.RegexDetector,
        position.PositionDetector,
        order.OrderDetector,
        position.AbsenceDetector,
        timing.SilenceDetector,
        timing.ReplyLatencyDetector,
        timing.LongHoldDetector,
        repetition.RepetitionDetector,
        sentiment.SentimentDetector,
        sentiment.MoodTrendDetector,
        pii.PersonalDataDetector,
        classifier.ClassifierDetector,
    ]


def _entry_point_providers() -> dict[str, Provider]:
    found: dict[str, Provider] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception as exc:
            raise ConfigError(f"The detector plug-in {ep.name!r} ({ep.value}) cannot be loaded: {exc}") from exc
        if isinstance(obj, type) and issubclass(obj, Detector):
            found[ep.name] = functools.partial(lambda cls: [cls], obj)
        elif callable(obj):
            found[ep.name] = obj
        else:
            raise ConfigError(f"The detector plug-in {ep.name!r} ({ep.value}) is neither a Detector nor callable.")
    return found


@functools.cache
def detector_classes() -> dict[str, type[Detector]]:
    """Every registered detector by name; a duplicate name raises :class:`ConfigError`."""
    providers = dict(_PROVIDERS)
    for name, provider in _entry_point_providers().items():
        providers.setdefault(name, provider)
    out: dict[str, type[Detector]] = {}
    origin: dict[str, str] = {}
    for pname, provider in providers.items():
        for cls in provider():
            if not (isinstance(cls, type) and issubclass(cls, Detector)):
                raise ConfigError(f"The detector provider {pname!r} returned {cls!r}, not a Detector class.")
            if cls.name in out and out[cls.name] is not cls:
                raise ConfigError(
                    f"Two detectors are named {cls.name!r}: from {origin[cls.name]!r} and from {pname!r}."
                )
            out[cls.name], origin[cls.name] = cls, pname
    return out


def get_detector(name: str) -> type[Detector]:
    """The detector class called ``name``."""
    classes = detector_classes()
    if name not in classes:
        raise KeyError(f"unknown detector {name!r} (known: {', '.join(sorted(classes))})")
    return classes[name]


register_provider("builtin", builtin_detectors)
