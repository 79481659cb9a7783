"""Survey comments: is the feedback negative? (For the pseudo-satisfied KPI: a good score with a
negative comment.) A comment is negative when it contains one of the pack's ``negative_phrases``
for its language, or — with the sentiment model — its polarity is at or below ``below``."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from csqm.inspection.engine import Inspector, language_of
from csqm.inspection.loading import digest
from csqm.inspection.pack import Feedback
from csqm.inspection.storage import masked, temp_table
from csqm.inspection.tables import INSPECTION_FEEDBACK
from csqm.store import Store
from csqm.store.schema import Column, Table

_SURVEYS = Table("_csqm_inspect_surveys", "Surveys being judged.", (Column("survey_id", "text", ""),), key=())


def feedback_version(settings: dict[str, Feedback], use_model: bool) -> str:
    """Hash of the feedback settings (and whether the model judged): a change re-judges comments."""
    return digest([sorted((k, v.model_dump(mode="json")) for k, v in settings.items()), use_model])


def judge(
    comments: list[str], langs: list[str], settings: dict[str, Feedback], polarity: np.ndarray
) -> tuple[list[bool], list[str | None]]:
    """(negative?, phrase found) per comment."""
    negative: list[bool] = []
    found: list[str | None] = []
    for i, (text, lang) in enumerate(zip(comments, langs, strict=True)):
        conf = settings.get(lang) or settings.get("*")
        phrase = next((p for p in conf.negative_phrases if p in text), None) if conf else None
        low = conf is not None and not np.isnan(polarity[i]) and polarity[i] <= conf.below
        negative.append(phrase is not None or bool(low))
        found.append(phrase)
    return negative, found


def _todo(store: Store, version: str) -> pd.DataFrame:
    return store.query(
        'SELECT s."survey_id", s."interaction_id", s."comment", i."language" FROM "surveys" s '
        'LEFT JOIN "interactions" i ON i."interaction_id" = s."interaction_id" '
        f'LEFT JOIN "{INSPECTION_FEEDBACK.name}" f ON f."survey_id" = s."survey_id" '
        'WHERE s."comment" IS NOT NULL AND (f."survey_id" IS NULL OR f."feedback_digest" <> ?)',
        (version,),
    )


def judge_feedback(store: Store, inspector: Inspector, stamp: datetime, *, use_model: bool) -> int:
    """Judge the survey comments not yet judged with the current settings; return how many."""
    settings = inspector.packs.feedback
    if not settings:
        return 0
    version = feedback_version(settings, use_model)
    todo = _todo(store, version)
    if todo.empty:
        return 0
    langs = [language_of(x, inspector.default_language) for x in todo["language"]]
    comments = [str(c) for c in todo["comment"]]
    polarity = np.full(len(todo), np.nan)
    if use_model:
        model = inspector.sentiment_model()
        for lang in sorted(set(langs)):
            idx = [i for i, lg in enumerate(langs) if lg == lang]
            polarity[idx] = model.sentiment_scores([comments[i] for i in idx], lang)
    negative, phrases = judge(comments, langs, settings, polarity)
    iid = todo["interaction_id"].astype(object)
    table = pa.table(
        {
            "survey_id": pa.array(todo["survey_id"].astype(str), pa.string()),
            "interaction_id": pa.array(iid.where(iid.notna(), None), pa.string()),
            "negative": pa.array(negative, pa.bool_()),
            "polarity": masked(np.nan_to_num(polarity), ~np.isnan(polarity), pa.float64()),
            "evidence": pa.array(phrases, pa.string()),
            "feedback_digest": pa.array([version] * len(todo), pa.string()),
            "inspected_at": pa.array([stamp] * len(todo), pa.timestamp("us")),
        }
    )
    with store.transaction():
        temp_table(store, _SURVEYS, table.select(["survey_id"]))
        store.execute(
            f'DELETE FROM "{INSPECTION_FEEDBACK.name}" WHERE "survey_id" IN (SELECT "survey_id" FROM "{_SURVEYS.name}")'
        )
        store.load_arrow(INSPECTION_FEEDBACK.name, table)
    return len(todo)
