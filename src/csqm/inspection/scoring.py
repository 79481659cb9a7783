"""Deciding: turn findings into scorecard scores, for a whole batch at once.

The arithmetic, per conversation and its scorecard:

- an item is *applicable* when at least one rule pointing at it applied to the conversation
  (in scope, and judged by its detector — e.g. "identity check before disclosure" is not
  applicable when nothing was disclosed); other items are N/A and leave the denominator;
- each non-``info`` finding deducts the item's ``deduction`` (default: its weight), in turn order,
  until the item's ``max_deduction`` (default: its weight) is used up;
- score = 100 × Σ(weight − deductions) / Σ weight over applicable items (``None`` if none apply);
- a finding of a ``fatal`` rule (with or without an item), or in a ``fatal`` item, is fatal: the
  score is 0 and the conversation fails;
- passed = no fatal finding and score ≥ the scorecard's ``pass_score``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from csqm.inspection.detectors import kernels
from csqm.inspection.loading import LoadedScorecard


@dataclass(frozen=True, eq=False)
class ItemTable:
    """Every item of every scorecard as flat arrays (row = one item of one scorecard)."""

    card: np.ndarray
    item_id: list[str]
    weight: np.ndarray
    per: np.ndarray
    cap: np.ndarray
    fatal: np.ndarray

    @classmethod
    def of(cls, cards: tuple[LoadedScorecard, ...]) -> ItemTable:
        rows = [(ci, it) for ci, c in enumerate(cards) for it in c.card.items]
        return cls(
            card=np.array([ci for ci, _ in rows], dtype=np.int64),
            item_id=[it.id for _, it in rows],
            weight=np.array([it.weight for _, it in rows], dtype=float),
            per=np.array([it.per_finding for _, it in rows], dtype=float),
            cap=np.array([it.cap for _, it in rows], dtype=float),
            fatal=np.array([it.fatal for _, it in rows], dtype=bool),
        )

    @functools.cached_property
    def exact(self) -> bool:
        """Whether every weight and deduction is a multiple of 1/1024 below 2**30: then every sum of
        them is exact in floating point, whatever the order of adding, so compiled code that adds in
        another order than numpy gives identical scores."""
        values = np.concatenate((self.weight, self.per, self.cap))
        ok = np.isfinite(values) & (np.abs(values) < 2**30)
        return bool(ok.all() and np.all(values * 1024 == np.round(values * 1024)))

    def row(self, card: int, item: str | None) -> int:
        """Row of ``item`` in scorecard ``card``, or -1."""
        if item is None:
            return -1
        for r in np.flatnonzero(self.card == card).tolist():
            if self.item_id[r] == item:
                return r
        return -1


@dataclass(frozen=True)
class Scores:
    """Per conversation: score (NaN = none), passed (-1 unknown, 0, 1), fatal count; per finding: its
    item row (-1: none), deduction, whether it was fatal; per (conversation, item row): earned points."""

    score: np.ndarray
    passed: np.ndarray
    fatal_count: np.ndarray
    finding_item: np.ndarray
    deduction: np.ndarray
    finding_fatal: np.ndarray
    applicable: np.ndarray
    earned: np.ndarray


def score_batch(
    items: ItemTable,
    pass_score: np.ndarray,
    conv_card: np.ndarray,
    applicable: np.ndarray,
    f_conv: np.ndarray,
    f_item: np.ndarray,
    f_seq: np.ndarray,
    f_fatal_rule: np.ndarray,
    f_counts: np.ndarray,
) -> Scores:
    """Scores for ``C`` conversations.

    ``conv_card``: scorecard index per conversation (-1: none); ``applicable``: (C, items) mask;
    findings as arrays: conversation, item row (-1 none), seq (for order), fatal rule, counts
    (False for ``info`` findings, which never deduct).
    """
    n_conv = len(conv_card)
    counted = f_counts & (f_item >= 0)
    fatal = f_counts & (f_fatal_rule | (counted & items.fatal[np.maximum(f_item, 0)]))
    deduction = _deductions(items, f_conv, f_item, f_seq, counted)
    earned, got, total = _points(items, applicable, f_conv[counted], f_item[counted], deduction[counted])
    score = np.divide(100.0 * got, total, out=np.full(n_conv, np.nan), where=total > 0)
    fatal_count = np.bincount(f_conv[fatal], minlength=n_conv)
    score = np.where(fatal_count > 0, 0.0, np.round(score, 2))
    threshold = pass_score[np.maximum(conv_card, 0)] if len(pass_score) else np.zeros(n_conv)
    passed = np.where(np.isnan(score), -1, (fatal_count == 0) & (score >= threshold)).astype(np.int8)
    return Scores(score, passed, fatal_count, f_item, deduction, fatal, applicable, earned)


def _points(
    items: ItemTable,
    applicable: np.ndarray,
    f_conv: np.ndarray,
    f_item: np.ndarray,
    deduction: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points earned per (conversation, item row), and per conversation their sum and the sum of
    the applicable weights."""
    if items.exact:  # compiled: no (conversations × items) temporaries
        points: tuple[np.ndarray, np.ndarray, np.ndarray] = kernels.points(
            applicable, items.weight, f_conv, f_item, deduction
        )
        return points
    n_items = applicable.shape[1]
    lost = np.bincount(f_conv * n_items + f_item, weights=deduction, minlength=applicable.size)
    weight = np.where(applicable, items.weight[None, :], 0.0)
    earned = np.where(applicable, weight - lost.reshape(applicable.shape), 0.0)
    return earned, earned.sum(axis=1), weight.sum(axis=1)


def _deductions(
    items: ItemTable, conv: np.ndarray, item: np.ndarray, seq: np.ndarray, counted: np.ndarray
) -> np.ndarray:
    """Each counted finding deducts ``per`` until its item's cap is used (in turn order)."""
    out = np.zeros(len(conv))
    idx = np.flatnonzero(counted)
    if not len(idx):
        return out
    idx = idx[np.lexsort((seq[idx], item[idx], conv[idx]))]
    per, cap = items.per[item[idx]], items.cap[item[idx]]
    new_group = np.ones(len(idx), dtype=bool)
    new_group[1:] = (conv[idx][1:] != conv[idx][:-1]) | (item[idx][1:] != item[idx][:-1])
    cum = np.cumsum(per)
    base = np.maximum.accumulate(np.where(new_group, cum - per, 0.0))
    after = np.minimum(cum - base, cap)
    before = np.minimum(cum - base - per, cap)
    out[idx] = after - before
    return out
