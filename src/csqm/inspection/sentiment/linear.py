"""The built-in Chinese model at inference: one weight per hashed n-gram bucket, numpy only."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from csqm.inspection.sentiment.features import hashed_ngrams, scale


class LinearNgramModel:
    """Logistic model over hashed character n-grams (see :mod:`csqm.inspection.sentiment.train`).

    ``logits`` gives the raw score; :meth:`predict_proba` its sigmoid. Empty texts score 0.5.
    """

    name = "ngram-linear"

    def __init__(
        self,
        *,
        weights: np.ndarray,
        bias: float,
        orders: Sequence[int],
        bits: int,
        l2: bool = True,
        meta: dict[str, Any] | None = None,
    ) -> None:
        if weights.shape != (1 << bits,):
            raise ValueError(f"expected {1 << bits} weights, got {weights.shape}")
        self.weights = weights
        self._weights64 = weights.astype(np.float64)
        self.bias = float(bias)
        self.orders = tuple(int(o) for o in orders)
        self.bits = int(bits)
        self.l2 = bool(l2)
        self.meta = dict(meta or {})

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw scores (log-odds of positive); empty texts get 0."""
        f = hashed_ngrams(texts, orders=self.orders, bits=self.bits)
        values = self._weights64[f.bucket]
        if self.l2:
            values = values * scale(f)
        z = np.bincount(f.doc, weights=values, minlength=f.n_docs) + self.bias
        z[f.counts == 0] = 0.0
        return z

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """P(positive) per text, float64 in [0, 1]; 0.5 for an empty text."""
        p: np.ndarray = 1.0 / (1.0 + np.exp(-self.logits(texts)))
        return p

    def save(self, path: Path) -> None:
        """Write the model as a compressed ``.npz`` (weights, bias and settings)."""
        settings = {"orders": list(self.orders), "bits": self.bits, "l2": self.l2, "meta": self.meta}
        with path.open("wb") as fh:
            np.savez_compressed(
                fh, weights=self.weights, bias=np.float64(self.bias), settings=np.array(json.dumps(settings))
            )

    @classmethod
    def load(cls, path: Path) -> LinearNgramModel:
        """Read a model written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as data:
            settings = json.loads(str(data["settings"]))
            return cls(
                weights=data["weights"],
                bias=float(data["bias"]),
                orders=settings["orders"],
                bits=settings["bits"],
                l2=settings["l2"],
                meta=settings["meta"],
            )
