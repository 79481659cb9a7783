"""Where recognizers come from: the built-in pattern file, plugins, and user pattern files.

Recognizer *providers* are zero-argument callables returning recognizers. The built-ins are one
provider, registered with :func:`register_provider` exactly as a plugin's would be. Third-party
packages add providers through the entry point group ``csqm.pii_recognizers``::

    # the plugin's pyproject.toml
    [project.entry-points."csqm.pii_recognizers"]
    passports = "my_plugin.pii:recognizers"   # def recognizers() -> list[Recognizer]

The entry point may also name a :class:`Recognizer` subclass (called without arguments) or a
function returning a single recognizer. Importing the plugin module is also the moment to register
custom validators (:func:`csqm.privacy.validators.register_validator`). Users without a package can
put extra patterns in a YAML file and pass it to :func:`load_recognizers`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path

from csqm.errors import ConfigError
from csqm.privacy.config import load_pattern_file
from csqm.privacy.model import Recognizer
from csqm.privacy.recognizers import PatternRecognizer

ENTRY_POINT_GROUP = "csqm.pii_recognizers"
BUILTIN_PATTERNS = Path(__file__).with_name("patterns.yaml")

Provider = Callable[[], Iterable[Recognizer] | Recognizer]

_PROVIDERS: dict[str, Provider] = {}


def register_provider(name: str, provider: Provider) -> None:
    """Add a recognizer provider under ``name`` (registering the same provider again is a no-op)."""
    current = _PROVIDERS.get(name)
    if current is not None and current is not provider:
        raise ConfigError(f"A PII recognizer provider named {name!r} is already registered.")
    _PROVIDERS[name] = provider


def unregister_provider(name: str) -> None:
    """Remove a provider (mainly for tests); unknown names are ignored."""
    _PROVIDERS.pop(name, None)


def recognizers_from_yaml(path: Path, taken: Iterable[str] = ()) -> list[Recognizer]:
    """Recognizers declared in the pattern file ``path``; ``taken`` names count as duplicates."""
    return [PatternRecognizer.from_spec(spec) for spec in load_pattern_file(path, set(taken))]


def builtin_recognizers() -> list[Recognizer]:
    """The recognizers of the shipped ``patterns.yaml``."""
    return recognizers_from_yaml(BUILTIN_PATTERNS)


register_provider("builtin", builtin_recognizers)


def _load_entry_points() -> None:
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _PROVIDERS:
            continue
        try:
            provider = ep.load()
        except Exception as exc:
            raise ConfigError(f"The PII recognizer plugin {ep.name!r} ({ep.value}) cannot be loaded: {exc}") from exc
        if not callable(provider):
            raise ConfigError(f"The PII recognizer plugin {ep.name!r} ({ep.value}) is not callable.")
        register_provider(ep.name, provider)


def _from_provider(name: str, provider: Provider) -> list[Recognizer]:
    made = provider()
    items = [made] if isinstance(made, Recognizer) else list(made)
    for item in items:
        if not isinstance(item, Recognizer):
            raise ConfigError(f"The PII recognizer provider {name!r} returned {type(item).__name__}.")
    return items


def load_recognizers(path: Path | None = None) -> list[Recognizer]:
    """Built-in and plugin recognizers, plus those of the user pattern file ``path`` if given.

    Recognizer names must be unique over all of them; a clash raises :class:`ConfigError`.
    """
    _load_entry_points()
    recognizers: list[Recognizer] = []
    seen: set[str] = set()
    for name, provider in list(_PROVIDERS.items()):
        for rec in _from_provider(name, provider):
            if rec.name in seen:
                raise ConfigError(f"Two PII recognizers are named {rec.name!r} (second from {name!r}).")
            seen.add(rec.name)
            recognizers.append(rec)
    if path is not None:
        recognizers += recognizers_from_yaml(Path(path), seen)
    return recognizers


@functools.lru_cache(maxsize=1)
def _default_tuple() -> tuple[Recognizer, ...]:
    return tuple(load_recognizers())


def default_recognizers() -> list[Recognizer]:
    """The recognizers :func:`load_recognizers` gives without a user file, loaded once and cached."""
    return list(_default_tuple())


def clear_cache() -> None:
    """Forget the cached default recognizers (after registering a provider at run time)."""
    _default_tuple.cache_clear()
