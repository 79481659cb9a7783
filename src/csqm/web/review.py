"""The review workbench (service layer, no HTTP): sampling queues, verdicts, manual scores, statistics.

Builds on :mod:`csqm.inspection.review`: samples are drawn with :func:`create_sample` from a
:class:`SamplePlan`; decisions and scores go into the same ``review_decisions`` / ``review_scores``
tables the CSV import fills (one row per key: giving a verdict again replaces it); precision / recall
come from :func:`rule_accuracy` and reviewer agreement (Cohen's kappa) from :func:`agreement`.
Only admins and quality managers review and see the statistics; every change is audited. The
reviewer is the logged-in user; notes are masked with :mod:`csqm.privacy` before they are stored.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from csqm.inspection.review import SamplePlan, agreement, create_sample, rule_accuracy
from csqm.inspection.review.sampling import STRATA
from csqm.inspection.review.tables import ensure_review_tables
from csqm.privacy import Masker
from csqm.settings import Settings
from csqm.store import Store
from csqm.store.rows import records
from csqm.web.auth import Principal, record_audit
from csqm.web.errors import BadParameterError, ForbiddenError, NotFoundError

REVIEWERS = ("admin", "quality_manager")
VERDICTS = ("confirmed", "rejected", "missed")
_NAME = re.compile(r"^[\w\-.]{1,64}$")


def require_reviewer(principal: Principal) -> None:
    """Only admins and quality managers review; everyone else gets :class:`ForbiddenError`."""
    if principal.role not in REVIEWERS:
        raise ForbiddenError(f"The role {principal.role!r} may not review conversations.")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class SampleSummary:
    sample_id: str
    conversations: int
    reviewed: int
    created_at: datetime | None


def list_samples(store: Store, *, principal: Principal) -> list[SampleSummary]:
    """Every sample with how many of its conversations the principal has scored or judged."""
    require_reviewer(principal)
    ensure_review_tables(store)
    frame = store.query(
        'SELECT s."sample_id", count(*) AS n, max(s."created_at") AS created_at, '
        'sum(CASE WHEN EXISTS (SELECT 1 FROM "review_scores" x WHERE x."interaction_id" = s."interaction_id" '
        'AND x."reviewer" = ?) OR EXISTS (SELECT 1 FROM "review_decisions" d WHERE d."interaction_id" = '
        's."interaction_id" AND d."reviewer" = ?) THEN 1 ELSE 0 END) AS reviewed '
        'FROM "review_samples" s GROUP BY s."sample_id" ORDER BY max(s."created_at") DESC, s."sample_id"',
        (principal.username, principal.username),
    )
    return [
        SampleSummary(str(r["sample_id"]), int(r["n"]), int(r["reviewed"] or 0), r["created_at"])
        for r in records(frame)
    ]


def new_sample(
    store: Store,
    *,
    principal: Principal,
    name: str,
    by: tuple[str, ...] = ("team_id",),
    per_stratum: int = 5,
    seed: int = 1,
    only_failed: bool = False,
) -> int:
    """Draw sample ``name`` with a stratified plan (replacing one of that name); return its size. Audited."""
    require_reviewer(principal)
    if not _NAME.match(name):
        raise BadParameterError("A sample name is 1–64 letters, digits, '-', '_' or '.'.")
    bad = [b for b in by if b not in STRATA]
    if bad:
        raise BadParameterError(f"Cannot stratify by {bad[0]!r}; choose from {', '.join(STRATA)}.")
    if not 1 <= per_stratum <= 1000:
        raise BadParameterError("Draw between 1 and 1000 conversations per stratum.")
    plan = SamplePlan(by=by, per_stratum=per_stratum, seed=seed, only_failed=only_failed)
    rows = create_sample(store, name, plan)
    record_audit(
        store,
        username=principal.username,
        action="review_sample",
        target=name,
        outcome="allowed",
        detail=f"{len(rows)} conversations by {','.join(by)}, {per_stratum} per stratum, seed {seed}.",
    )
    return len(rows)


@dataclass(frozen=True)
class QueueItem:
    interaction_id: str
    stratum: str | None
    agent_id: str | None
    team_id: str | None
    offered_at: datetime | None
    machine_score: float | None
    findings: int
    decided: int
    my_score: float | None


def queue(store: Store, *, principal: Principal, sample_id: str) -> list[QueueItem]:
    """The conversations of a sample, with the machine's score and what the principal has done."""
    require_reviewer(principal)
    ensure_review_tables(store)
    me = principal.username
    frame = store.query(
        'SELECT s."interaction_id", s."stratum", i."agent_id", i."team_id", i."offered_at", r."score", '
        '(SELECT count(*) FROM "inspection_findings" f WHERE f."interaction_id" = s."interaction_id") AS findings, '
        '(SELECT count(*) FROM "review_decisions" d WHERE d."interaction_id" = s."interaction_id" '
        'AND d."reviewer" = ? AND d."session_id" = \'\') AS decided, '
        '(SELECT max(x."score") FROM "review_scores" x WHERE x."interaction_id" = s."interaction_id" '
        'AND x."reviewer" = ? AND x."session_id" = \'\') AS my_score '
        'FROM "review_samples" s LEFT JOIN "interactions" i ON i."interaction_id" = s."interaction_id" '
        'LEFT JOIN "inspection_results" r ON r."interaction_id" = s."interaction_id" '
        'WHERE s."sample_id" = ? ORDER BY s."stratum", s."interaction_id"',
        (me, me, sample_id),
    )
    if frame.empty:
        raise NotFoundError(f"There is no sample {sample_id!r}.")
    return [
        QueueItem(
            str(r["interaction_id"]),
            r["stratum"],
            r["agent_id"],
            r["team_id"],
            r["offered_at"],
            r["score"],
            int(r["findings"] or 0),
            int(r["decided"] or 0),
            r["my_score"],
        )
        for r in records(frame)
    ]


def decisions(store: Store, *, principal: Principal, interaction_id: str) -> dict[tuple[str, int], dict[str, Any]]:
    """The principal's verdicts on one conversation, by (rule, turn)."""
    require_reviewer(principal)
    ensure_review_tables(store)
    frame = store.query(
        'SELECT "rule_id", "seq", "verdict", "note" FROM "review_decisions" '
        'WHERE "interaction_id" = ? AND "reviewer" = ? AND "session_id" = \'\'',
        (interaction_id, principal.username),
    )
    return {(str(r["rule_id"]), int(r["seq"])): r for r in records(frame)}


def my_score(store: Store, *, principal: Principal, interaction_id: str) -> dict[str, Any] | None:
    """The principal's manual score of one conversation, if any."""
    require_reviewer(principal)
    ensure_review_tables(store)
    frame = store.query(
        'SELECT "score", "passed", "note" FROM "review_scores" '
        'WHERE "interaction_id" = ? AND "reviewer" = ? AND "session_id" = \'\'',
        (interaction_id, principal.username),
    )
    rows = records(frame)
    return rows[0] if rows else None


def _masked(settings: Settings, note: str | None) -> str | None:
    if not note or not note.strip():
        return None
    text, _ = Masker(settings.secret_key()).mask_text(note.strip()[:2000])
    return text


def _exists(store: Store, interaction_id: str) -> None:
    if not store.scalar('SELECT count(*) FROM "interactions" WHERE "interaction_id" = ?', (interaction_id,)):
        raise NotFoundError(f"There is no conversation {interaction_id!r}.")


def record_decision(
    store: Store,
    *,
    principal: Principal,
    settings: Settings,
    interaction_id: str,
    rule_id: str,
    seq: int,
    verdict: str,
    note: str | None = None,
) -> None:
    """Confirm or reject a machine finding, or add one the machine missed (replaces an earlier verdict)."""
    require_reviewer(principal)
    ensure_review_tables(store)
    if verdict not in VERDICTS:
        raise BadParameterError(f"The verdict must be one of {', '.join(VERDICTS)}.")
    if seq < 0:
        raise BadParameterError("The turn number cannot be negative.")
    _exists(store, interaction_id)
    found = store.scalar(
        'SELECT count(*) FROM "inspection_findings" '
        'WHERE "interaction_id" = ? AND "rule_id" = ? AND coalesce("seq", 0) = ?',
        (interaction_id, rule_id, seq),
    )
    if verdict in ("confirmed", "rejected") and not found:
        raise BadParameterError(f"The machine found nothing for rule {rule_id!r} in turn {seq}; use 'missed' instead.")
    if verdict == "missed":
        if found:
            raise BadParameterError(f"The machine already found rule {rule_id!r} in turn {seq}; confirm it instead.")
        if not store.scalar('SELECT count(*) FROM "inspection_rules" WHERE "rule_id" = ?', (rule_id,)):
            raise BadParameterError(f"There is no rule {rule_id!r}.")
        if seq and not store.scalar(
            'SELECT count(*) FROM "utterances" WHERE "interaction_id" = ? AND "seq" = ?', (interaction_id, seq)
        ):
            raise BadParameterError(f"The conversation has no turn {seq}.")
    key = (interaction_id, principal.username, "", rule_id, seq)
    with store.transaction():
        store.execute(
            'DELETE FROM "review_decisions" WHERE "interaction_id" = ? AND "reviewer" = ? AND "session_id" = ? '
            'AND "rule_id" = ? AND "seq" = ?',
            key,
        )
        store.execute(
            'INSERT INTO "review_decisions" ("interaction_id", "reviewer", "session_id", "rule_id", "seq", '
            '"verdict", "note", "reviewed_at") VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
            (*key, verdict, _masked(settings, note), _now()),
        )
        record_audit(
            store,
            username=principal.username,
            action="review_decision",
            target=interaction_id,
            outcome="allowed",
            detail=f"{verdict} {rule_id} turn {seq}.",
        )


def record_score(
    store: Store,
    *,
    principal: Principal,
    settings: Settings,
    interaction_id: str,
    score: float,
    passed: bool | None = None,
    note: str | None = None,
) -> None:
    """Score a conversation manually (0–100; ``passed`` defaults to score ≥ 80); replaces an earlier score."""
    require_reviewer(principal)
    ensure_review_tables(store)
    if math.isnan(score) or not 0 <= score <= 100:
        raise BadParameterError("The score must be between 0 and 100.")
    _exists(store, interaction_id)
    verdict = passed if passed is not None else score >= 80.0
    key = (interaction_id, principal.username, "")
    with store.transaction():
        store.execute(
            'DELETE FROM "review_scores" WHERE "interaction_id" = ? AND "reviewer" = ? AND "session_id" = ?', key
        )
        store.execute(
            'INSERT INTO "review_scores" ("interaction_id", "reviewer", "session_id", "score", "passed", "note", '
            '"reviewed_at") VALUES (?, ?, ?, ?, ?, ?, ?)',
            (*key, score, verdict, _masked(settings, note), _now()),
        )
        record_audit(
            store,
            username=principal.username,
            action="review_score",
            target=interaction_id,
            outcome="allowed",
            detail=f"score {score:g}, {'passed' if verdict else 'failed'}.",
        )


def _clean(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = records(frame)
    for row in out:
        for k, v in row.items():
            if isinstance(v, float) and math.isnan(v):
                row[k] = None
    return out


def statistics(store: Store, *, principal: Principal, tolerance: float = 5.0) -> dict[str, list[dict[str, Any]]]:
    """Per-rule precision / recall of the machine, and agreement (kappa) between every pair of raters."""
    require_reviewer(principal)
    ensure_review_tables(store)
    return {"rules": _clean(rule_accuracy(store)), "agreement": _clean(agreement(store, tolerance=tolerance))}


def rule_choices(store: Store) -> list[tuple[str, str, str]]:
    """(rule id, Chinese name, English name) of every rule inspections have used, for 'add missed'."""
    frame = store.query(
        'SELECT "rule_id", max("name_zh") AS name_zh, max("name_en") AS name_en FROM "inspection_rules" '
        'GROUP BY "rule_id" ORDER BY "rule_id"'
    )
    return [
        (str(r["rule_id"]), str(r["name_zh"] or r["rule_id"]), str(r["name_en"] or r["rule_id"]))
        for r in records(frame)
    ]
