"""Translations of the console: one table per language, Chinese by default.

Labels live in ``csqm/web/i18n/{zh,en}.yaml`` (nested keys become dotted: ``nav.overview``). A
capability package may add its own ``csqm/<package>/i18n/{zh,en}.yaml``; its keys are prefixed with
the package name (``testcalls.title``). Both languages must have exactly the same keys (tested). A
missing key renders as ``⟦key⟧`` so it is visible on the page and caught by the page tests.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

log = logging.getLogger(__name__)

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"
#: Capability packages whose ``i18n`` folder is merged under their own prefix.
CAPABILITY_PACKAGES = ("testcalls", "improvement", "realtime")


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = "" if value is None else str(value)
    return out


def _read(package: str, lang: str) -> dict[str, Any]:
    try:
        path = resources.files(package).joinpath("i18n", f"{lang}.yaml")
    except ModuleNotFoundError:
        return {}
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


@cache
def table(lang: Lang) -> dict[str, str]:
    """Every label of ``lang``: the console's own, then each capability package's under its prefix."""
    out = _flatten(_read("csqm.web", lang))
    for package in CAPABILITY_PACKAGES:
        out.update(_flatten(_read(f"csqm.{package}", lang), package + "."))
    return out


def normalise(lang: str | None) -> Lang:
    """A supported language code (``zh`` when unknown or missing)."""
    return "en" if lang == "en" else "zh" if lang == "zh" else DEFAULT_LANG


def translate(lang: Lang, key: str, /, **values: object) -> str:
    """The label ``key`` in ``lang`` with ``{name}`` placeholders filled in."""
    text = table(lang).get(key)
    if text is None:
        log.warning("missing translation %s for %s", key, lang)
        return f"⟦{key}⟧"
    return text.format(**values) if values else text
