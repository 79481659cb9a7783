"""Evaluation standards (T5): each test and each aggregate passes or fails, with reasons.

Per test (codes stored in ``testcall_results.fail_codes``):

==================  =======================================================================
``not_answered``    the call / chat / e-mail was not answered at all (nothing else is judged)
``slow_answer``     phone: more rings than ``phone_max_rings``
``slow_response``   online: first response later than ``online_max_response_minutes``
``unresolved``      not resolved on the spot and no follow-up promised
``follow_up_late``  a follow-up was promised and not resolved by its deadline (judged once it is due)
``knowledge``       knowledge errors per key point above ``knowledge_error_rate_max``
``key_points``      key points covered below ``key_point_coverage_min``
``unsatisfied``     mean of attitude / clarity / accuracy below ``satisfied_rating``
``inspection``      the transcript failed its inspection scorecard
==================  =======================================================================

Aggregates over any set of tests: on-the-spot resolution, follow-up resolution, answered within the
limit, satisfaction, knowledge error rate and key point coverage, each against its standard.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from csqm.testcalls.model import ONLINE_CHANNELS, Standards

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Verdict:
    """One test against the standards: passed, the failed codes and one reason per failure."""

    passed: bool
    codes: tuple[str, ...]
    reasons: tuple[str, ...]
    follow_up_open: bool = False


def _val(row: Row, name: str) -> Any:
    value = row.get(name)
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        import pandas as pd

        if value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


def rating_mean(row: Row) -> float | None:
    """Mean of the attitude, clarity and accuracy ratings given (None when none was)."""
    values = [float(v) for v in (_val(row, "attitude"), _val(row, "clarity"), _val(row, "accuracy")) if v is not None]
    return sum(values) / len(values) if values else None


def within_limit(row: Row, std: Standards) -> bool:
    """Answered, and within the ring / first-response limit of its channel (unknown counts as within)."""
    if not _val(row, "answered"):
        return False
    rings, frs = _val(row, "rings"), _val(row, "first_response_seconds")
    if row.get("channel") == "phone" and rings is not None:
        return int(rings) <= std.phone_max_rings
    if row.get("channel") in ONLINE_CHANNELS and frs is not None:
        return float(frs) <= std.online_max_response_minutes * 60
    return True


def follow_up_state(row: Row, as_of: datetime) -> str | None:
    """``None`` (no follow-up), ``open`` (not due yet), ``resolved`` (by its deadline), ``late`` (resolved
    after it) or ``overdue`` (still open after it)."""
    if not _val(row, "follow_up_promised"):
        return None
    deadline, resolved = _val(row, "follow_up_deadline"), _val(row, "follow_up_resolved_at")
    if resolved is not None:
        return "resolved" if deadline is None or resolved <= deadline else "late"
    if deadline is not None and as_of > deadline:
        return "overdue"
    return "open"


def evaluate(row: Row, std: Standards, *, as_of: datetime) -> Verdict:
    """Judge one test (a ``testcall_results`` row or the same keys) against ``std``."""
    fails: list[tuple[str, str]] = []
    if not _val(row, "answered"):
        return Verdict(False, ("not_answered",), ("Not answered.",))
    rings, frs = _val(row, "rings"), _val(row, "first_response_seconds")
    if row.get("channel") == "phone" and rings is not None and int(rings) > std.phone_max_rings:
        fails.append(("slow_answer", f"Answered after {int(rings)} rings (standard: within {std.phone_max_rings})."))
    limit = std.online_max_response_minutes * 60
    if row.get("channel") in ONLINE_CHANNELS and frs is not None and float(frs) > limit:
        fails.append(("slow_response", f"First response after {float(frs):g} s (standard: within {limit:g} s)."))
    state = follow_up_state(row, as_of)
    if not _val(row, "resolved_on_spot") and state is None:
        fails.append(("unresolved", "Not resolved on the spot and no follow-up promised."))
    if state in ("late", "overdue"):
        fails.append(("follow_up_late", f"The promised follow-up was {state} (not resolved by its deadline)."))
    total = int(_val(row, "key_points_total") or 0)
    errors = int(_val(row, "knowledge_errors") or 0)
    if errors and (not total or 100.0 * errors / total > std.knowledge_error_rate_max):
        rate = 100.0 * errors / total if total else 100.0
        fails.append(
            (
                "knowledge",
                f"{errors} knowledge error(s) in {total} key points ({rate:.1f}% > {std.knowledge_error_rate_max:g}%).",
            )
        )
    if total:
        covered = _count(_val(row, "key_points_covered"))
        coverage = 100.0 * covered / total
        if coverage < std.key_point_coverage_min:
            fails.append(
                (
                    "key_points",
                    f"Covered {covered} of {total} key points ({coverage:.1f}% < {std.key_point_coverage_min:g}%).",
                )
            )
    mean = rating_mean(row)
    if mean is not None and mean < std.satisfied_rating:
        fails.append(("unsatisfied", f"Mean rating {mean:.2f} is below {std.satisfied_rating:g}."))
    if _val(row, "inspection_passed") is False:
        score = _val(row, "inspection_score")
        shown = "no score" if score is None else f"score {float(score):.1f}"
        fails.append(("inspection", f"The transcript failed its inspection scorecard ({shown})."))
    return Verdict(not fails, tuple(c for c, _ in fails), tuple(r for _, r in fails), state == "open")


def _count(ids: Any) -> int:
    if ids is None:
        return 0
    if isinstance(ids, str):
        return len([i for i in ids.split(",") if i.strip()])
    return len(list(ids))


@dataclass(frozen=True)
class Aggregate:
    """One aggregate standard over a set of tests: value (%), its standard, passed (None: no data)."""

    code: str
    label: str
    value: float | None
    numerator: int
    denominator: int
    standard: float
    at_most: bool
    passed: bool | None

    def reason(self) -> str:
        if self.value is None:
            return f"{self.label}: no data."
        sign = "≤" if self.at_most else "≥"
        verdict = "meets" if self.passed else "fails"
        share = f"{self.value:.1f}% ({self.numerator}/{self.denominator})"
        return f"{self.label} {share} {verdict} the standard {sign} {self.standard:g}%."


def _agg(code: str, label: str, num: int, den: int, standard: float, *, at_most: bool = False) -> Aggregate:
    if den == 0:
        return Aggregate(code, label, None, num, den, standard, at_most, None)
    value = 100.0 * num / den
    ok = value <= standard + 1e-9 if at_most else value >= standard - 1e-9
    return Aggregate(code, label, value, num, den, standard, at_most, ok)


def aggregates(rows: Iterable[Row], std: Standards, *, as_of: datetime) -> list[Aggregate]:
    """The aggregate standards over ``rows``. Denominators: on-spot, knowledge and key points count
    answered tests; follow-up counts follow-ups that are due (resolved, late or overdue); the response
    limit counts every test (unanswered ones fail it); satisfaction counts rated tests."""
    rows = list(rows)
    answered = [r for r in rows if _val(r, "answered")]
    on_spot = sum(1 for r in answered if _val(r, "resolved_on_spot"))
    states = [follow_up_state(r, as_of) for r in rows]
    due = [s for s in states if s in ("resolved", "late", "overdue")]
    in_limit = sum(1 for r in rows if within_limit(r, std))
    means = [m for m in (rating_mean(r) for r in answered) if m is not None]
    satisfied = sum(1 for m in means if m >= std.satisfied_rating)
    errors = sum(int(_val(r, "knowledge_errors") or 0) for r in answered)
    points = sum(int(_val(r, "key_points_total") or 0) for r in answered)
    covered = sum(_count(_val(r, "key_points_covered")) for r in answered)
    return [
        _agg("on_spot_resolution", "On-the-spot resolution", on_spot, len(answered), std.on_spot_resolution_min),
        _agg(
            "follow_up_resolution",
            "Follow-up resolution",
            due.count("resolved"),
            len(due),
            std.follow_up_resolution_min,
        ),
        _agg("response_within_limit", "Answered within the limit", in_limit, len(rows), std.response_within_limit_min),
        _agg("satisfaction", "Satisfaction", satisfied, len(means), std.satisfaction_min),
        _agg(
            "knowledge_error_rate", "Knowledge error rate", errors, points, std.knowledge_error_rate_max, at_most=True
        ),
        _agg("key_point_coverage", "Key point coverage", covered, points, std.key_point_coverage_min),
    ]
