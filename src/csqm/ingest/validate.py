"""Validate one chunk of input rows of a data kind: coerce every field, check ranges and cross-field rules.

Invalid rows are never stored: each problem becomes a :class:`Problem` naming the row, field and
reason (with the value masked and truncated), and the row is dropped from the chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csqm.ingest import coerce
from csqm.ingest.canonical import CUSTOMER_PERSONAL_FIELDS, IDENTITY_FIELDS, canonical_fields, required_fields
from csqm.privacy import redact_for_message
from csqm.store.schema import Column, table

#: Longest text accepted in one field (characters); a longer value is rejected, not truncated.
MAX_TEXT = 100_000


@dataclass(frozen=True)
class Problem:
    """Why one input row was rejected."""

    row_number: int
    field: str
    value: str | None
    reason: str


@dataclass
class Validated:
    """The typed, valid rows of a chunk and the problems of the others."""

    frame: pd.DataFrame
    row_numbers: np.ndarray
    problems: list[Problem]


def _column_spec(kind: str, field: str) -> Column:
    if field in IDENTITY_FIELDS or field in CUSTOMER_PERSONAL_FIELDS:
        return Column(field, "text", "identity")
    return table(kind).column(field)


def _coerce(col: Column, raw: pd.Series, tz: str) -> tuple[pd.Series, pd.Series, str]:
    kind = col.type
    if col.values:
        values, bad = coerce.as_code(raw, col.name, col.values)
        return values, bad, f"unknown {col.name} value; expected one of {', '.join(col.values)}"
    if kind == "text":
        values = coerce.as_text(raw)
        too_long = pd.Series([v is not None and len(v) > MAX_TEXT for v in values], index=values.index)
        return values, too_long, f"value longer than {MAX_TEXT:,} characters"
    if kind in ("int", "float"):
        values, bad = coerce.as_number(raw, durations=col.unit == "s")
        if kind == "int":
            bad = bad | (values.notna() & (values != values.round()))
            return (
                values.astype("Int64", errors="ignore") if not bad.any() else values,
                bad,
                "not a whole number",
            )
        return values, bad, "not a number" + (" (seconds, or hh:mm:ss)" if col.unit == "s" else "")
    if kind == "bool":
        values, bad = coerce.as_bool(raw)
        return values, bad, "not a yes/no value (true/false, 1/0, Y/N, 是/否)"
    if kind == "timestamp":
        values, bad = coerce.as_timestamp(raw, tz)
        return values, bad, "not a date-time (e.g. 2026-01-05 09:30:00)"
    values, bad = coerce.as_date(raw)
    return values, bad, "not a date (e.g. 2026-01-05)"


def _range_problems(col: Column, values: pd.Series) -> tuple[pd.Series, str]:
    if col.minimum is None and col.maximum is None:
        return pd.Series(False, index=values.index), ""
    numeric = pd.to_numeric(values, errors="coerce")
    bad = pd.Series(False, index=values.index)
    if col.minimum is not None:
        bad |= numeric < col.minimum
    if col.maximum is not None:
        bad |= numeric > col.maximum
    lo = "" if col.minimum is None else f"{col.minimum:g}"
    hi = "" if col.maximum is None else f"{col.maximum:g}"
    if lo and hi:
        return bad.fillna(False).astype(bool), f"out of range: must be between {lo} and {hi}"
    if lo:
        return bad.fillna(False).astype(
            bool
        ), "out of range: must not be negative" if lo == "0" else f"out of range: must be at least {lo}"
    return bad.fillna(False).astype(bool), f"out of range: must be at most {hi}"


def _blank(values: pd.Series, mask: pd.Series) -> pd.Series:
    """Values with the rejected cells emptied (those rows are dropped anyway)."""
    if not mask.any():
        return values
    if values.dtype == object:
        keep = (~mask).tolist()
        return pd.Series(
            [v if k else None for v, k in zip(values.tolist(), keep, strict=True)],
            index=values.index,
            dtype=object,
        )
    return values.where(~mask)


# kind -> (later field, earlier field): the later must not come before the earlier.
ORDER_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "interactions": (("answered_at", "offered_at"), ("ended_at", "offered_at"), ("ended_at", "answered_at")),
    "tickets": (
        ("first_response_at", "created_at"),
        ("resolved_at", "created_at"),
        ("closed_at", "created_at"),
    ),
    "surveys": (("answered_at", "sent_at"),),
    "complaints": (("resolved_at", "created_at"),),
    "agent_states": (("ended_at", "started_at"),),
    "schedules": (("ends_at", "starts_at"),),
    "agents": (("left_on", "hired_on"),),
}


def _extra_rules(kind: str, frame: pd.DataFrame) -> list[tuple[str, pd.Series, str]]:
    rules: list[tuple[str, pd.Series, str]] = []
    for later, earlier in ORDER_RULES.get(kind, ()):
        if later in frame and earlier in frame:
            bad = (frame[later] < frame[earlier]).fillna(False).astype(bool)
            rules.append((later, bad, f"{later} is before {earlier}"))
    if kind == "tickets" and {"mandatory_fields_filled", "mandatory_fields_total"} <= set(frame):
        filled = pd.to_numeric(frame["mandatory_fields_filled"], errors="coerce")
        total = pd.to_numeric(frame["mandatory_fields_total"], errors="coerce")
        bad = (filled > total).fillna(False).astype(bool)
        rules.append(("mandatory_fields_filled", bad, "more mandatory fields filled than exist"))
    return rules


def validate(kind: str, raw: pd.DataFrame, row_numbers: np.ndarray, *, tz: str) -> Validated:
    """Coerce and check every known field of ``raw`` (canonical field names); drop invalid rows."""
    fields = [f for f in canonical_fields(kind) if f in raw.columns]
    out: dict[str, pd.Series] = {}
    bad_rows = pd.Series(False, index=raw.index)
    problems: list[Problem] = []

    def flag(field: str, mask: pd.Series, reason: str | Callable[[object], str]) -> None:
        nonlocal bad_rows
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        bad_rows = bad_rows | mask
        for idx in np.flatnonzero(mask.to_numpy()):
            value = raw[field].iat[int(idx)] if field in raw else None
            text = reason if isinstance(reason, str) else reason(value)
            shown = (
                None if value is None or (isinstance(value, float) and np.isnan(value)) else redact_for_message(value)
            )
            problems.append(Problem(int(row_numbers[idx]), field, shown, text))

    for field in fields:
        col = _column_spec(kind, field)
        values, bad, reason = _coerce(col, raw[field], tz)
        flag(field, bad, reason)
        range_bad, range_reason = _range_problems(col, values.where(~bad))
        flag(field, range_bad, range_reason)
        out[field] = _blank(values, bad | range_bad)
    for field in required_fields(kind):
        missing = out[field].isna() if field in out else pd.Series(True, index=raw.index)
        flag(field, missing & ~bad_rows, f"required field {field} is empty")
    frame = pd.DataFrame(out, index=raw.index)
    for field, mask, reason in _extra_rules(kind, frame):
        flag(field, mask & ~bad_rows, reason)
    keep = ~bad_rows.to_numpy()
    problems.sort(key=lambda p: (p.row_number, p.field))
    return Validated(frame[keep].reset_index(drop=True), row_numbers[keep], problems)
