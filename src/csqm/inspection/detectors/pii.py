"""Personal data spoken or typed by the agent (an information-security violation)."""

from __future__ import annotations

import re

import numpy as np
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from csqm.inspection.detectors.base import DetectContext, Detected, Detector, Scope

#: What masked values look like in stored text: 138****5678, 110***********123X, 6222********1234.
_MASKED = re.compile(r"[0-9A-Za-z+\-]{0,8}\*{3,}[0-9A-Za-z]{0,4}")


class PersonalDataParams(BaseModel):
    """Kinds of personal data (as in ``utterances.pii_kinds``) the speaker must not say or type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: tuple[str, ...] = Field(("id_card", "bank_card"), min_length=1)


class PersonalDataDetector(Detector):
    """A turn of the rule's speaker (the agent) that contained personal data of the given kinds,
    e.g. reading out a full ID or card number. Works on masked text: ``pii_kinds`` tells what was
    masked at ingest and the span is the masked value (``110***********123X``)."""

    name = "personal_data"
    Params = PersonalDataParams
    default_speakers = ("agent",)

    def detect(self, ctx: DetectContext, scope: Scope) -> Detected:
        assert isinstance(self.params, PersonalDataParams)
        b = ctx.batch
        kinds = "|".join(re.escape(k) for k in self.params.kinds)
        has = pc.match_substring_regex(pc.fill_null(b.pii, ""), f"(^|,)({kinds})(,|$)")
        turns = np.flatnonzero(np.asarray(has.to_numpy(zero_copy_only=False), dtype=bool) & scope.turns)
        rows: list[tuple[int, int, int]] = []
        for t in turns.tolist():
            text = b.text_of(t)
            spans = [(m.start(), m.end()) for m in _MASKED.finditer(text)] or [(0, len(text))]
            rows.extend((t, s, e) for s, e in spans)
        if not rows:
            return Detected.none()
        arr = np.array(rows, dtype=np.int64)
        return Detected(b.conv[arr[:, 0]], arr[:, 0], arr[:, 1], arr[:, 2], [None] * len(arr))
