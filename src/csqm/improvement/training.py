"""Training needs (L2) per agent and team, from failed knowledge points and inspection findings.

- **Inspection**: the inspection detection rule of :mod:`csqm.improvement.findings` with training
  thresholds (:data:`TRAINING_SETTINGS`: ≥ 3 hits, ≥ 2 × the rest, one-sided p < 0.05): an agent (vs the
  rest of their team) or a team (vs the other teams) hitting a rule unusually often needs training on it.
- **Test calls**: a key point missed in ≥ :data:`MIN_MISSED` published tests of an agent (or team).

Each need names the metric its training should move (forbidden phrases → ``forbidden_phrase_rate``,
other rules → ``qa_score_avg``), so a training record created from it is verified like an action.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from csqm.improvement.findings import DetectSettings, default_period, detect_inspection
from csqm.improvement.models import TrainingNeed
from csqm.improvement.testcall_source import published_results, split_codes
from csqm.metrics import Catalogue, load_catalogue, user_dir_from_env
from csqm.store import Store

TRAINING_SETTINGS = DetectSettings(alpha=0.05, min_hits=3, min_ratio=2.0)
MIN_MISSED = 2
DEFAULT_RULE_METRIC = "qa_score_avg"


def training_needs(
    store: Store,
    *,
    start: date | None = None,
    end: date | None = None,
    team_id: str | None = None,
    agent_id: str | None = None,
    catalogue: Catalogue | None = None,
) -> list[TrainingNeed]:
    """Needs over local days ``start``..``end`` (default: the last 28 days of data), optionally for one
    team or agent; biggest rate first."""
    cat = catalogue or load_catalogue(user_dir_from_env())
    zone = cat.reporting_timezone
    if start is None or end is None:
        d_start, d_end = default_period(store, zone)
        start, end = start or d_start, end or d_end
    needs: list[TrainingNeed] = []
    for d in detect_inspection(store, start, end, zone, TRAINING_SETTINGS):
        x, n = _counts(d.evidence)
        needs.append(
            TrainingNeed(
                level="agent" if d.scope_kind == "agent" else "team",
                team_id=d.team_id,
                agent_id=d.agent_id,
                topic=f"inspection rule {d.rule_id}",
                source="inspection",
                metric=d.metric or DEFAULT_RULE_METRIC,
                failures=x,
                cases=n,
                rate=round(float(d.value or 0.0), 4),
                reference_rate=None if d.reference is None else round(d.reference, 4),
            )
        )
    needs += _test_call_needs(store, start, end, zone)
    if team_id is not None:
        needs = [n for n in needs if n.team_id == team_id]
    if agent_id is not None:
        needs = [n for n in needs if n.agent_id == agent_id]
    return sorted(needs, key=lambda n: (-n.rate, n.level, n.team_id or "", n.agent_id or "", n.topic))


def _counts(evidence: str) -> tuple[int, int]:
    """``x of n`` from an inspection draft's evidence sentence."""
    words = evidence.split()
    return int(words[0]), int(words[2])


def _test_call_needs(store: Store, start: date, end: date, zone: str) -> list[TrainingNeed]:
    frame = published_results(store, start, end, zone)
    needs: list[TrainingNeed] = []
    for level, col in (("agent", "agent_id"), ("team", "team_id")):
        for key, part in frame.dropna(subset=[col]).groupby(col):
            missed = Counter(p for v in part["key_points_missed"] for p in set(split_codes(v)))
            team = str(part["team_id"].dropna().iloc[0]) if part["team_id"].notna().any() else None
            for point, count in sorted(missed.items()):
                if count < MIN_MISSED:
                    continue
                needs.append(
                    TrainingNeed(
                        level=level,  # type: ignore[arg-type]
                        team_id=team,
                        agent_id=str(key) if level == "agent" else None,
                        topic=f"key point {point}",
                        source="test_call",
                        metric=None,
                        failures=count,
                        cases=len(part),
                        rate=round(100.0 * count / len(part), 4),
                        reference_rate=None,
                    )
                )
    return needs
