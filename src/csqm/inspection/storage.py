"""Reading conversations for inspection and writing results: the SQL side of the runner.

Only declared identifiers reach SQL text; values are bound as parameters or loaded as Arrow tables.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from csqm.inspection.engine import BatchResult, Inspector
from csqm.inspection.loading import Packs
from csqm.inspection.tables import INSPECTION_FINDINGS, INSPECTION_RESULTS, INSPECTION_RULES
from csqm.store import Store
from csqm.store.ddl import create_table
from csqm.store.schema import Column, Table

_IDS = Table(
    "_csqm_inspect_ids", "Conversations of the current chunk.", (Column("interaction_id", "text", ""),), key=()
)
_SCOPE = Table(
    "_csqm_inspect_scope",
    "Scope digest per (language, channel, topic).",
    tuple(Column(n, "text", "") for n in ("language", "channel", "topic", "digest")),
    key=(),
)
_SAME = " AND ".join(f'i."{c}" IS NOT DISTINCT FROM s."{c}"' for c in ("language", "channel", "topic"))


def temp_table(store: Store, decl: Table, data: pa.Table) -> None:
    """``data`` in the temporary table ``decl`` (created if missing, emptied first), then analysed
    (:meth:`Store.analyze`: on PostgreSQL). Why: without statistics the planner takes a temporary table for 1,360
    rows, so joining a chunk's 50 ids to ``utterances`` hashed a scan of the whole table instead of
    looking the 50 up by key, on stores of up to about a million utterances (beyond, the scan costs
    more than the look-ups even for 1,360): 133 against 3.7 ms a chunk at 300,000 utterances
    (``benchmarks/pg_read_back.py``)."""
    store.execute(create_table(decl, store.dialect, temporary=True))
    store.execute(f'DELETE FROM "{decl.name}"')
    store.load_arrow(decl.name, data)
    store.analyze(decl.name)


def pending(store: Store, inspector: Inspector, *, force: bool = False) -> tuple[int, list[str]]:
    """(number of conversations, ids to inspect): no result yet, or another scope digest."""
    groups = store.query('SELECT DISTINCT "language", "channel", "topic" FROM "interactions"')
    groups = groups.astype(object).where(groups.notna(), None)
    rows = {c: list(groups[c]) for c in ("language", "channel", "topic")}
    rows["digest"] = [inspector.group(*k).digest for k in zip(*rows.values(), strict=True)]
    temp_table(store, _SCOPE, pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()}))
    total = int(store.scalar('SELECT count(*) FROM "interactions"'))
    stale = "" if force else ' WHERE r."interaction_id" IS NULL OR r."scope_digest" <> s."digest"'
    todo = store.query(
        f'SELECT i."interaction_id" FROM "interactions" i JOIN "{_SCOPE.name}" s ON {_SAME} '
        f'LEFT JOIN "{INSPECTION_RESULTS.name}" r ON r."interaction_id" = i."interaction_id"{stale} '
        'ORDER BY i."interaction_id"'
    )
    return total, [str(x) for x in todo["interaction_id"]]


def fetch(store: Store, ids: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The interactions and utterances of ``ids`` (also left in the chunk's temporary id table)."""
    temp_table(store, _IDS, pa.table({"interaction_id": pa.array(ids, pa.string())}))
    inter = store.query(
        'SELECT i."interaction_id", i."channel", i."topic", i."language", i."hold_seconds" '
        f'FROM "interactions" i JOIN "{_IDS.name}" t ON t."interaction_id" = i."interaction_id"'
    )
    utt = store.query(
        'SELECT u."interaction_id", u."seq", u."speaker", u."spoken_at", u."offset_seconds", u."text", '
        f'u."pii_kinds" FROM "utterances" u JOIN "{_IDS.name}" t ON t."interaction_id" = u."interaction_id"'
    )
    return inter, utt


def replace(store: Store, ids: list[str], results: pa.Table, findings: pa.Table) -> None:
    """Swap the stored results of the chunk's conversations for new ones (call inside a transaction)."""
    for decl in (INSPECTION_FINDINGS, INSPECTION_RESULTS):
        store.execute(
            f'DELETE FROM "{decl.name}" WHERE "interaction_id" IN (SELECT "interaction_id" FROM "{_IDS.name}")'
        )
    store.load_arrow(INSPECTION_RESULTS.name, results)
    store.load_arrow(INSPECTION_FINDINGS.name, findings)
    store.execute(
        'UPDATE "inspection_results" SET "offered_at" = i."offered_at" FROM "interactions" i '
        'WHERE i."interaction_id" = "inspection_results"."interaction_id" '
        f'AND "inspection_results"."interaction_id" IN (SELECT "interaction_id" FROM "{_IDS.name}")'
    )


def masked(values: np.ndarray, valid: np.ndarray, type_: pa.DataType) -> pa.Array:
    return pa.array(values, type_, mask=~valid)


def result_tables(result: BatchResult, version: str, stamp: datetime) -> tuple[pa.Table, pa.Table]:
    """Arrow tables for ``inspection_results`` and ``inspection_findings``."""
    b, s, n = result.batch, result.scores, result.batch.n_conversations
    order = np.lexsort(
        (result.f_start, np.where(result.f_turn >= 0, b.seq[np.maximum(result.f_turn, 0)], -1), result.f_conv)
    )
    conv = result.f_conv[order]
    counts = np.bincount(conv, minlength=n)
    first = np.concatenate(([0], np.cumsum(counts)))[:-1]
    cards = np.array([c.card.id for c in result.cards] + [None], dtype=object)[result.conv_card]
    lost = np.zeros(n)
    np.add.at(lost, result.f_conv, np.where(s.finding_fatal, 0.0, s.deduction))
    results = pa.table(
        {
            "interaction_id": pa.array(b.ids.astype(str), pa.string()),
            "pack_version": pa.array([version] * n, pa.string()),
            "scope_digest": pa.array(result.conv_digest, pa.string()),
            "scorecard_id": pa.array(cards, pa.string()),
            "score": masked(np.nan_to_num(s.score), ~np.isnan(s.score), pa.float64()),
            "passed": masked(s.passed == 1, s.passed >= 0, pa.bool_()),
            "fatal_count": pa.array(s.fatal_count, pa.int64()),
            "finding_count": pa.array(counts, pa.int64()),
            "deduction_total": pa.array(lost, pa.float64()),
            "inspected_at": pa.array([stamp] * n, pa.timestamp("us")),
        }
    )
    return results, _findings_table(result, order, first, version)


def _findings_table(result: BatchResult, order: np.ndarray, first: np.ndarray, version: str) -> pa.Table:
    b, s = result.batch, result.scores
    rule = result.f_rule[order]
    turn, start, end = result.f_turn[order], result.f_start[order], result.f_end[order]
    item = s.finding_item[order]
    rules = result.rules
    severity = np.array([r.rule.severity for r in rules], dtype=object)[rule] if len(rule) else np.zeros(0, object)
    severity = np.where(s.finding_fatal[order], "fatal", severity)
    item_ids = np.array([*result.items.item_id, None], dtype=object)
    spanned = (turn >= 0) & (start >= 0)
    return pa.table(
        {
            "interaction_id": pa.array(b.ids[result.f_conv[order]].astype(str), pa.string()),
            "finding_no": pa.array(np.arange(len(order)) - first[result.f_conv[order]] + 1, pa.int64()),
            "rule_id": pa.array(np.array([r.rule.id for r in rules], dtype=object)[rule], pa.string()),
            "detector": pa.array(np.array([r.rule.detector for r in rules], dtype=object)[rule], pa.string()),
            "category": pa.array(np.array([r.rule.category for r in rules], dtype=object)[rule], pa.string()),
            "seq": masked(b.seq[np.maximum(turn, 0)] if len(b.seq) else turn, turn >= 0, pa.int64()),
            "span_start": masked(start, spanned, pa.int64()),
            "span_end": masked(end, spanned, pa.int64()),
            "evidence": pa.array([result.f_evidence[i] for i in order.tolist()], pa.string()),
            "severity": pa.array(severity, pa.string()),
            "scorecard_item": pa.array(item_ids[item], pa.string()),
            "deduction": pa.array(s.deduction[order], pa.float64()),
            "pack_version": pa.array([version] * len(order), pa.string()),
        }
    )


def record_rules(store: Store, packs: Packs, stamp: datetime) -> None:
    """Remember the rules of this pack version (once per version)."""
    if store.scalar(f'SELECT count(*) FROM "{INSPECTION_RULES.name}" WHERE "pack_version" = ?', (packs.version,)):
        return
    rows = [
        {
            "pack_version": packs.version,
            "rule_id": r.rule.id,
            "rule_digest": r.digest,
            "name_zh": r.rule.name_zh,
            "name_en": r.rule.name_en,
            "category": r.rule.category,
            "detector": r.rule.detector,
            "severity": r.rule.severity,
            "scorecard_item": r.rule.item,
            "source": r.source,
            "loaded_at": stamp,
        }
        for r in packs.rules
    ]
    if rows:
        store.load_arrow(INSPECTION_RULES.name, pa.Table.from_pylist(rows))
