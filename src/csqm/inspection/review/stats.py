"""How good is the machine, and how consistent are the people? (Q6)

- per rule: precision (confirmed / (confirmed + rejected)), recall (confirmed / (confirmed +
  missed)) and the misjudgment rate (rejected / (confirmed + rejected)) of the machine against
  reviewers' decisions;
- between reviewers who scored the same conversations: Cohen's kappa on pass / fail, the share of
  score pairs within ±N points, and the mean absolute difference; the machine is compared the same way;
- calibration sessions: every reviewer's score per conversation, the spread, and each reviewer's
  mean deviation from the others.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from csqm.inspection.review.tables import ensure_review_tables
from csqm.store import Store

MACHINE = "(machine)"


def ratio(num: float, den: float) -> float:
    """num / den, NaN when den is 0."""
    return num / den if den else math.nan


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Cohen's kappa of two raters' labels for the same items (1 = perfect, 0 = chance)."""
    if len(a) != len(b):
        raise ValueError("both raters must label the same items")
    if not a:
        return math.nan
    labels = sorted(set(a) | set(b), key=str)
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    expected = sum((list(a).count(k) / n) * (list(b).count(k) / n) for k in labels)
    if expected == 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1 - expected)


def rule_accuracy(store: Store) -> pd.DataFrame:
    """Per rule: confirmed, rejected, missed, precision, recall, misjudgment rate."""
    ensure_review_tables(store)
    counts = store.query(
        'SELECT "rule_id", sum(CASE WHEN "verdict" = \'confirmed\' THEN 1 ELSE 0 END) AS "confirmed", '
        'sum(CASE WHEN "verdict" = \'rejected\' THEN 1 ELSE 0 END) AS "rejected", '
        'sum(CASE WHEN "verdict" = \'missed\' THEN 1 ELSE 0 END) AS "missed" '
        'FROM "review_decisions" GROUP BY "rule_id" ORDER BY "rule_id"'
    )
    for col in ("confirmed", "rejected", "missed"):
        counts[col] = counts[col].astype(int)
    tp, fp, fn = counts["confirmed"], counts["rejected"], counts["missed"]
    counts["precision"] = [ratio(t, t + f) for t, f in zip(tp, fp, strict=True)]
    counts["recall"] = [ratio(t, t + m) for t, m in zip(tp, fn, strict=True)]
    counts["misjudgment_rate"] = [ratio(f, t + f) for t, f in zip(tp, fp, strict=True)]
    return counts


def _scores(store: Store, session: str | None) -> pd.DataFrame:
    """Manual scores plus the machine's, one row per (conversation, rater)."""
    where, params = ("", ()) if session is None else (' WHERE s."session_id" = ?', (session,))
    people = store.query(
        f'SELECT s."interaction_id", s."reviewer", s."score", s."passed" FROM "review_scores" s{where}', params
    )
    machine = store.query(
        'SELECT r."interaction_id", r."score", r."passed" FROM "inspection_results" r WHERE r."interaction_id" IN '
        f'(SELECT s."interaction_id" FROM "review_scores" s{where})',
        params,
    )
    machine.insert(1, "reviewer", MACHINE)
    frame = pd.concat([people, machine], ignore_index=True)
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    return frame


def agreement(store: Store, *, tolerance: float = 5.0, session: str | None = None) -> pd.DataFrame:
    """Per pair of raters (the machine included): conversations both scored, Cohen's kappa on
    pass / fail, share of scores within ±``tolerance`` points, mean absolute difference."""
    ensure_review_tables(store)
    frame = _scores(store, session)
    rows = []
    for a, b in itertools.combinations(sorted(frame["reviewer"].unique()), 2):
        x = frame[frame["reviewer"] == a].set_index("interaction_id")
        y = frame[frame["reviewer"] == b].set_index("interaction_id")
        both = x.index.intersection(y.index)
        if not len(both):
            continue
        diff = (x.loc[both, "score"] - y.loc[both, "score"]).abs().dropna()
        pa_, pb = x.loc[both, "passed"], y.loc[both, "passed"]
        known = pa_.notna() & pb.notna()
        rows.append(
            {
                "rater_a": a,
                "rater_b": b,
                "conversations": len(both),
                "kappa_passed": cohen_kappa(list(pa_[known].astype(bool)), list(pb[known].astype(bool))),
                "within_tolerance": float((diff <= tolerance).mean()) if len(diff) else math.nan,
                "mean_abs_diff": float(diff.mean()) if len(diff) else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=["rater_a", "rater_b", "conversations", "kappa_passed", "within_tolerance",
                                       "mean_abs_diff"])  # fmt: skip


def calibration(store: Store, session: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per conversation: each reviewer's score, the machine's, mean and spread of the reviewers;
    per reviewer: mean signed and absolute deviation from the mean of the other reviewers)."""
    ensure_review_tables(store)
    frame = _scores(store, session)
    wide = frame.pivot_table(index="interaction_id", columns="reviewer", values="score", aggfunc="mean")
    people = [c for c in wide.columns if c != MACHINE]
    wide["mean"] = wide[people].mean(axis=1)
    wide["spread"] = wide[people].max(axis=1) - wide[people].min(axis=1)
    rows = []
    for r in people:
        others = [p for p in people if p != r]
        if not others:
            continue
        dev = wide[r] - wide[others].mean(axis=1)
        rows.append({"reviewer": r, "conversations": int(dev.notna().sum()), "mean_deviation": float(np.nanmean(dev)),
                     "mean_abs_deviation": float(np.nanmean(dev.abs()))})  # fmt: skip
    return wide.reset_index(), pd.DataFrame(rows)
