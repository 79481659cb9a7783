"""The packaged data files: reference data (``catalog.yaml``) and phrase banks (``texts_<lang>.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(name: str) -> dict[str, Any]:
    text = resources.files("csqm.generate").joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.load(text, Loader=_Loader)
    return data


@cache
def catalog() -> dict[str, Any]:
    """``catalog.yaml``: organisation, topics, products, regions, names."""
    return _load("catalog.yaml")


@cache
def texts(lang: str) -> dict[str, Any]:
    """The phrase bank of ``lang`` (``zh`` or ``en``)."""
    if lang not in ("zh", "en"):
        raise ValueError(f"unsupported language {lang!r} (zh or en)")
    return _load(f"texts_{lang}.yaml")


@dataclass(frozen=True)
class Reference:
    """Catalog lists in a fixed order, with display names in one language."""

    lang: str
    topic_codes: tuple[str, ...]
    topic_names: tuple[str, ...]
    topic_weights: np.ndarray  # (2, n_topics): ToC row, ToB row, normalised
    product_codes: tuple[str, ...]
    product_names: tuple[str, ...]
    product_line: np.ndarray  # 0 ToC, 1 ToB
    product_weight: np.ndarray
    product_price: np.ndarray  # (n, 2) low, high
    region_names: tuple[str, ...]
    region_weight: np.ndarray
    region_hub: np.ndarray  # 0 = C01, 1 = C02
    city_names: tuple[str, ...]
    city_region: np.ndarray
    city_area: np.ndarray  # administrative area code (6 digits)
    attitude: str

    def topic(self, code: str) -> int:
        return self.topic_codes.index(code)

    def product(self, code: str) -> int:
        return self.product_codes.index(code)


@cache
def reference(lang: str) -> Reference:
    """The catalog arranged as arrays, display values in ``lang``."""
    cat = catalog()
    topics, products, regions = cat["topics"], cat["products"], cat["regions"]
    tw = np.array([[t["toc"] for t in topics], [t["tob"] for t in topics]], dtype=float)
    cities = [(c, r) for r, reg in enumerate(regions) for c in reg["cities"]]
    region_key = "zh" if lang == "zh" else "en"
    return Reference(
        lang=lang,
        topic_codes=tuple(t["code"] for t in topics),
        topic_names=tuple(t[lang] for t in topics),
        topic_weights=tw / tw.sum(axis=1, keepdims=True),
        product_codes=tuple(p["code"] for p in products),
        product_names=tuple(p[lang] for p in products),
        product_line=np.array([p["line"] == "ToB" for p in products], dtype=np.int8),
        product_weight=np.array([p["weight"] for p in products], dtype=float),
        product_price=np.array([p["price"] for p in products], dtype=float),
        region_names=tuple(r[region_key] for r in regions),
        region_weight=np.array([r["weight"] for r in regions], dtype=float),
        region_hub=np.array([r["hub"] == "C02" for r in regions], dtype=np.int8),
        city_names=tuple(c[0] if lang == "zh" else c[1] for c, _ in cities),
        city_region=np.array([r for _, r in cities], dtype=np.int64),
        city_area=np.array([c[2] for c, _ in cities], dtype=np.int64),
        attitude=cat["attitude_category"][lang],
    )
