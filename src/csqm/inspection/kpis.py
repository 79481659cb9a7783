"""The inspection KPIs as plain SQL over the result tables (one definition; the metric catalogue
and docs/inspection.md take them from here).

"Scored conversations" are rows of ``inspection_results`` with a score: conversations a scorecard
applied to (bot-only and self-service sessions have none). Category-based KPIs count
conversations with at least one finding of that rule category.
"""

from __future__ import annotations

from dataclasses import dataclass

from csqm.store import Store


@dataclass(frozen=True)
class Kpi:
    """One KPI: id, names, what is counted over what, the source tables and the SQL (one value)."""

    id: str
    name_zh: str
    name_en: str
    numerator: str
    denominator: str
    source: str
    sql: str


def _share_with(category: str) -> str:
    return (
        'SELECT avg(CASE WHEN EXISTS (SELECT 1 FROM "inspection_findings" f WHERE f."interaction_id" = '
        f'r."interaction_id" AND f."category" = \'{category}\') THEN 1.0 ELSE 0.0 END) '
        'FROM "inspection_results" r WHERE r."score" IS NOT NULL'
    )


def _category_kpi(kid: str, zh: str, en: str, category: str, what: str) -> Kpi:
    return Kpi(
        kid,
        zh,
        en,
        f"scored conversations with a finding of category '{category}' ({what})",
        "scored conversations",
        "inspection_results, inspection_findings",
        _share_with(category),
    )


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "qa_score_avg",
        "平均质检得分",
        "Average QA score",
        "sum of scores",
        "scored conversations",
        "inspection_results",
        'SELECT avg("score") FROM "inspection_results" WHERE "score" IS NOT NULL',
    ),
    Kpi(
        "qa_pass_rate",
        "质检合格率",
        "QA pass rate",
        "scored conversations that passed",
        "scored conversations",
        "inspection_results",
        'SELECT avg(CASE WHEN "passed" THEN 1.0 ELSE 0.0 END) FROM "inspection_results" WHERE "score" IS NOT NULL',
    ),
    Kpi(
        "qa_fatal_rate",
        "致命差错率",
        "Fatal-error rate",
        "scored conversations with a fatal finding",
        "scored conversations",
        "inspection_results",
        'SELECT avg(CASE WHEN "fatal_count" > 0 THEN 1.0 ELSE 0.0 END) FROM "inspection_results" '
        'WHERE "score" IS NOT NULL',
    ),
    _category_kpi("forbidden_phrase_rate", "禁用语率", "Forbidden-phrase rate", "forbidden", "禁用语"),
    _category_kpi("customer_thanks_share", "客户致谢占比", "Customer-thanked share", "thanks", "谢谢你，帮了大忙"),
    _category_kpi("history_referenced_rate", "客户历史引用率", "History-referenced rate", "history", "您上次…的订单"),
    _category_kpi(
        "negative_emotion_share", "负面情绪占比", "Negative-emotion share", "negative_emotion", "客户负面情绪"
    ),
    Kpi(
        "pseudo_satisfied_share",
        "伪满意占比",
        "Pseudo-satisfied share",
        "answered surveys with CSAT ≥ 4 whose comment is negative or whose conversation has a complaint",
        "answered surveys with CSAT ≥ 4",
        "surveys, inspection_feedback, complaints",
        'SELECT avg(CASE WHEN EXISTS (SELECT 1 FROM "inspection_feedback" b WHERE b."survey_id" = s."survey_id" '
        'AND b."negative") OR EXISTS (SELECT 1 FROM "complaints" c WHERE c."interaction_id" = s."interaction_id") '
        'THEN 1.0 ELSE 0.0 END) FROM "surveys" s WHERE s."csat" >= 4',
    ),
)


def kpi_values(store: Store) -> dict[str, float | None]:
    """Every KPI over the whole store (``None`` where the denominator is empty)."""
    out: dict[str, float | None] = {}
    for kpi in KPIS:
        value = store.scalar(kpi.sql)
        out[kpi.id] = None if value is None or value != value else float(value)
    return out
