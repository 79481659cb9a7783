"""Shared bookkeeping: ids, timestamps, masking of free text, the append-only event log, row conversion."""

from __future__ import annotations

import weakref
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from csqm.errors import CsqmError
from csqm.improvement.tables import ensure_tables
from csqm.privacy import mask_free_text
from csqm.store import Store
from csqm.store.rows import records


class ImprovementError(CsqmError):
    """Bad input to the improvement loop (unknown id, field, status, metric or scope)."""


class UnknownIdError(ImprovementError):
    """No finding, action or training record has that id."""


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def mask(text: str | None) -> str | None:
    """Free text from users is masked before it is stored (phone numbers, ID numbers, cards, e-mails)."""
    if text is None:
        return None
    text = text.strip()
    return mask_free_text(text)[0] if text else None


def next_id(store: Store, table: str, column: str, prefix: str) -> str:
    """The next ``<prefix>NNNNN`` id of ``table`` (table and column are constants of this package)."""
    frame = store.query(f'SELECT "{column}" FROM "{table}" WHERE "{column}" LIKE ?', (prefix + "%",))
    numbers = [int(v[len(prefix) :]) for v in frame[column] if str(v)[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:05d}"


def log_event(
    store: Store,
    subject_id: str,
    *,
    username: str | None,
    kind: str,
    field: str | None = None,
    old: object = None,
    new: object = None,
    note: str | None = None,
) -> None:
    """Append one event to the subject's log (numbers are consecutive from 1)."""
    last = store.scalar('SELECT max("event_no") FROM "improvement_events" WHERE "subject_id" = ?', (subject_id,))
    number = 1 if last is None or pd.isna(last) else int(last) + 1
    store.execute(
        'INSERT INTO "improvement_events" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        (subject_id, number, now(), username, kind, field, _text(old), _text(new), mask(note)),
    )


def _text(value: object) -> str | None:
    return None if value is None else mask(str(value))


def rows(frame: pd.DataFrame, date_columns: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Every row as a dict of plain values, ``date_columns`` as :class:`datetime.date`."""
    out = records(frame)
    for row in out:
        for col in date_columns:
            if isinstance(row.get(col), datetime):
                row[col] = row[col].date()
    return out


def parse_date(text: str | date | None, what: str) -> date | None:
    """An ISO date, with a clear error naming ``what``."""
    if text is None or isinstance(text, date):
        return text
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ImprovementError(f"The {what} {text!r} is not a date; use YYYY-MM-DD.") from None


_READY: weakref.WeakSet[Store] = weakref.WeakSet()


def ready(store: Store) -> Store:
    """Make sure the tables exist (once per store object; idempotent) and return the store."""
    if store not in _READY:
        ensure_tables(store)
        _READY.add(store)
    return store
