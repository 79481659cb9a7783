"""Reviewer decisions in and out as CSV: export a sample as a review sheet, import what reviewers filled in.

The sheet has one row per machine finding (``verdict``: confirmed / rejected) plus one row per
conversation for the manual score; reviewers add rows with ``verdict: missed`` for findings the
machine missed. Columns: interaction_id, reviewer, session, rule_id, seq, verdict, score, passed,
note (extra columns such as evidence are ignored). A row without rule_id is a score row.
Importing checks every row first and imports nothing if any row is wrong, listing every problem.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from csqm.errors import ConfigError
from csqm.inspection.review.tables import REVIEW_DECISIONS, REVIEW_SCORES, VERDICTS, ensure_review_tables
from csqm.store import Store

SHEET_COLUMNS = (
    "interaction_id",
    "reviewer",
    "session",
    "rule_id",
    "seq",
    "evidence",
    "verdict",
    "score",
    "passed",
    "note",
)
_VERDICT_WORDS = {
    "confirmed": "confirmed", "confirm": "confirmed", "yes": "confirmed", "确认": "confirmed", "正确": "confirmed",
    "rejected": "rejected", "reject": "rejected", "no": "rejected", "误判": "rejected", "否认": "rejected",
    "missed": "missed", "miss": "missed", "漏判": "missed", "漏检": "missed",
}  # fmt: skip
_TRUE = {"1", "true", "yes", "y", "合格", "通过", "pass", "passed"}
_FALSE = {"0", "false", "no", "n", "不合格", "fail", "failed"}


@dataclass(frozen=True)
class ImportSummary:
    """Rows imported from a review sheet."""

    decisions: int
    scores: int


def export_sheet(store: Store, sample_id: str, path: Path) -> int:
    """Write the review sheet of a sample to ``path`` (UTF-8 with BOM for Excel); return its rows."""
    ensure_review_tables(store)
    findings = store.query(
        'SELECT f."interaction_id", f."rule_id", f."seq", f."evidence" FROM "inspection_findings" f '
        'JOIN "review_samples" s ON s."interaction_id" = f."interaction_id" WHERE s."sample_id" = ? '
        'ORDER BY f."interaction_id", f."finding_no"',
        (sample_id,),
    )
    convs = store.query('SELECT "interaction_id" FROM "review_samples" WHERE "sample_id" = ? ORDER BY 1', (sample_id,))
    if convs.empty:
        raise ConfigError(f"There is no sample named {sample_id!r}; create one with `csqm review sample`.")
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(SHEET_COLUMNS)
        for iid in convs["interaction_id"]:
            out.writerow([iid, "", "", "", "", "", "", "", "", ""])
            for _, f in findings[findings["interaction_id"] == iid].iterrows():
                seq = "" if f["seq"] is None or f["seq"] != f["seq"] else int(f["seq"])
                out.writerow([iid, "", "", f["rule_id"], seq, f["evidence"], "", "", "", ""])
    return len(convs) + len(findings)


def _parse(row: dict[str, str], line: int, problems: list[str]) -> tuple[str, dict[str, Any]] | None:
    get = {k: (v or "").strip() for k, v in row.items() if k}
    before = len(problems)
    if not get.get("interaction_id") or not get.get("reviewer"):
        problems.append(f"line {line}: interaction_id and reviewer are required")
    base = {"interaction_id": get.get("interaction_id"), "reviewer": get.get("reviewer"),
            "session_id": get.get("session", ""), "note": get.get("note") or None}  # fmt: skip
    if get.get("rule_id"):
        verdict = _VERDICT_WORDS.get(get.get("verdict", "").lower())
        if verdict is None:
            if not get.get("verdict"):
                return None  # a finding nobody judged
            problems.append(f"line {line}: verdict must be one of {', '.join(VERDICTS)} (got {get['verdict']!r})")
        seq = get.get("seq") or "0"
        if not seq.isdigit():
            problems.append(f"line {line}: seq must be a turn number (got {seq!r})")
        out = {**base, "rule_id": get["rule_id"], "seq": int(seq) if seq.isdigit() else 0, "verdict": verdict}
        return ("decision", out) if len(problems) == before else None
    if not get.get("score") and not get.get("passed"):
        return None  # an empty score row
    score: float | None = None
    try:
        score = float(get["score"]) if get.get("score") else None
    except ValueError:
        problems.append(f"line {line}: score must be a number (got {get['score']!r})")
    if score is not None and not 0 <= score <= 100:
        problems.append(f"line {line}: score must be between 0 and 100")
    passed_text = get.get("passed", "").lower()
    if passed_text and passed_text not in _TRUE | _FALSE:
        problems.append(f"line {line}: passed must be yes or no (got {get['passed']!r})")
    passed = None if not passed_text else passed_text in _TRUE
    return ("score", {**base, "score": score, "passed": passed}) if len(problems) == before else None


def import_sheet(store: Store, path: Path, *, now: datetime | None = None) -> ImportSummary:
    """Import a filled-in review sheet; a decision or score given again replaces the earlier one."""
    ensure_review_tables(store)
    stamp = (now or datetime.now(UTC)).replace(tzinfo=None)
    problems: list[str] = []
    rows: dict[str, list[dict[str, Any]]] = {"decision": [], "score": []}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            parsed = _parse(row, line, problems)
            if parsed is not None:
                rows[parsed[0]].append({**parsed[1], "reviewed_at": stamp})
    if problems:
        raise ConfigError(f"The review sheet {path.name} has {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    with store.transaction():
        for kind, decl in (("decision", REVIEW_DECISIONS), ("score", REVIEW_SCORES)):
            # the same key twice in one sheet: the later row wins
            rows[kind] = list({tuple(r[k] for k in decl.key): r for r in rows[kind]}.values())
            if rows[kind]:
                stage = f"_csqm_stage_{decl.name}"
                store.create_stage(decl, stage)
                store.load_arrow(stage, pa.Table.from_pylist(rows[kind]))
                store.merge_stage(decl, stage)
    return ImportSummary(len(rows["decision"]), len(rows["score"]))
