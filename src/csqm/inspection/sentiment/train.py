"""Training of the built-in Chinese model: NB-weighted logistic regression on hashed n-grams.

The recipe (Wang & Manning's "NBSVM" idea with a logistic loss):

1. features: the distinct character 1–3-grams of each text, hashed into ``2**bits`` buckets
   (:mod:`csqm.inspection.sentiment.features`), each document scaled to unit L2 norm;
2. every bucket is weighted by its naive-Bayes log-count ratio ``r`` (smoothing ``alpha``);
3. an L2-regularised logistic regression (strength ``1/C``, bias not penalised) is fitted by a
   full-batch L-BFGS written here in numpy, started from zero weights. Training is deterministic by
   construction: no random number is drawn anywhere and every sum runs in a fixed order, so the
   same data give the same weights bit for bit (a test re-trains and compares);
4. the shipped weight of a bucket is ``r * w`` (stored as float16), so inference is one gather-and-sum.

Only numpy is needed; ``scripts/train_sentiment.py`` runs this on ChnSentiCorp and writes the artifact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from csqm.inspection.sentiment.features import Features, hashed_ngrams, scale
from csqm.inspection.sentiment.linear import LinearNgramModel


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters (chosen on the ChnSentiCorp validation split)."""

    orders: tuple[int, ...] = (1, 2, 3)
    bits: int = 20
    alpha: float = 1.0
    C: float = 20.0
    l2: bool = True
    max_iter: int = 400
    tol: float = 1e-5


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product by numpy's own summation: no BLAS, hence no thread pool and a fixed order."""
    return float(np.sum(a * b))


def nb_ratio(f: Features, y: np.ndarray, size: int, alpha: float) -> np.ndarray:
    """Naive-Bayes log-count ratio of every bucket (binary document frequencies, smoothed)."""
    pos = np.bincount(f.bucket, weights=(y[f.doc] == 1).astype(np.float64), minlength=size) + alpha
    neg = np.bincount(f.bucket, weights=(y[f.doc] == 0).astype(np.float64), minlength=size) + alpha
    return np.log(pos / pos.sum()) - np.log(neg / neg.sum())  # type: ignore[no-any-return]


def lbfgs(
    fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0: np.ndarray,
    *,
    max_iter: int,
    tol: float,
    memory: int = 10,
) -> np.ndarray:
    """Minimise a smooth convex ``fun`` (returning value and gradient) by L-BFGS with backtracking."""
    x = x0.copy()
    value, grad = fun(x)
    s_hist: list[np.ndarray] = []
    y_hist: list[np.ndarray] = []
    for _ in range(max_iter):
        q = grad.copy()
        alphas = []
        for s, yv in zip(reversed(s_hist), reversed(y_hist), strict=True):
            a = _dot(s, q) / _dot(yv, s)
            alphas.append(a)
            q -= a * yv
        if s_hist:
            q *= _dot(s_hist[-1], y_hist[-1]) / _dot(y_hist[-1], y_hist[-1])
        for s, yv, a in zip(s_hist, y_hist, reversed(alphas), strict=True):
            q += (a - _dot(yv, q) / _dot(yv, s)) * s
        direction = -q
        slope = _dot(grad, direction)
        if slope >= 0:  # not a descent direction: restart from steepest descent
            s_hist.clear()
            y_hist.clear()
            direction, slope = -grad, -_dot(grad, grad)
        step = 1.0 if s_hist else 1.0 / max(1.0, float(np.sqrt(_dot(grad, grad))))
        while True:
            new_x = x + step * direction
            new_value, new_grad = fun(new_x)
            if new_value <= value + 1e-4 * step * slope or step < 1e-12:
                break
            step *= 0.5
        s, yv = new_x - x, new_grad - grad
        if _dot(s, yv) > 1e-12:
            s_hist.append(s)
            y_hist.append(yv)
            if len(s_hist) > memory:
                s_hist.pop(0)
                y_hist.pop(0)
        done = abs(value - new_value) <= tol * max(1.0, abs(value))
        x, value, grad = new_x, new_value, new_grad
        if done:
            break
    return x


def fit(
    texts: Sequence[str], labels: Sequence[int] | np.ndarray, config: TrainConfig = TrainConfig()
) -> LinearNgramModel:
    """Fit the model on ``texts`` with binary ``labels`` (1 = positive)."""
    y = np.asarray(labels, dtype=np.int64)
    if y.shape != (len(texts),) or not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1, one per text")
    size = 1 << config.bits
    f = hashed_ngrams(texts, orders=config.orders, bits=config.bits)
    r = nb_ratio(f, y, size, config.alpha)
    # work on the buckets that occur only, numbered 0..n_cols-1
    used, col = np.unique(f.bucket, return_inverse=True)
    n_cols = len(used)
    x = r[f.bucket] * (scale(f) if config.l2 else 1.0)  # value of every (doc, bucket) pair
    target = y.astype(np.float64)
    lam = 1.0 / config.C

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:-1], theta[-1]
        z = np.bincount(f.doc, weights=x * w[col], minlength=f.n_docs) + b
        # sum of log(1 + exp(-z)) over positives and log(1 + exp(z)) over negatives
        value = float(np.logaddexp(0.0, z).sum()) - _dot(target, z) + 0.5 * lam * _dot(w, w)
        residual = 1.0 / (1.0 + np.exp(-z)) - target
        grad_w = np.bincount(col, weights=x * residual[f.doc], minlength=n_cols) + lam * w
        return value, np.append(grad_w, residual.sum())

    theta = lbfgs(loss, np.zeros(n_cols + 1), max_iter=config.max_iter, tol=config.tol)
    weights = np.zeros(size, dtype=np.float64)
    weights[used] = r[used] * theta[:-1]
    return LinearNgramModel(
        weights=weights.astype(np.float16),
        bias=float(theta[-1]),
        orders=config.orders,
        bits=config.bits,
        l2=config.l2,
        meta=asdict(config),
    )


def evaluate(probabilities: np.ndarray, labels: Sequence[int] | np.ndarray) -> dict[str, float]:
    """Accuracy and macro-F1 of ``P(positive) >= 0.5`` against binary labels."""
    y = np.asarray(labels, dtype=np.int64)
    pred = (np.asarray(probabilities) >= 0.5).astype(np.int64)
    f1s = []
    for cls in (0, 1):
        tp = int(((pred == cls) & (y == cls)).sum())
        fp = int(((pred == cls) & (y != cls)).sum())
        fn = int(((pred != cls) & (y == cls)).sum())
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return {"accuracy": float((pred == y).mean()), "macro_f1": float(np.mean(f1s))}
