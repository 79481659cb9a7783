"""What an ingest did: counts per data kind, rejected rows, and the rejects file."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from pathlib import Path

from csqm.ingest.validate import Problem


@dataclass
class KindCounts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


@dataclass
class IngestSummary:
    """Returned by :func:`csqm.ingest.ingest_file` and printed by ``csqm ingest``."""

    source: str
    batch_id: str
    profile: str
    rows_read: int = 0
    kinds: dict[str, KindCounts] = field(default_factory=dict)
    rejects_file: Path | None = None
    ignored_columns: list[str] = field(default_factory=list)
    customers_merged: int = 0
    identity_conflicts: int = 0

    @property
    def inserted(self) -> int:
        return sum(k.inserted for k in self.kinds.values())

    @property
    def updated(self) -> int:
        return sum(k.updated for k in self.kinds.values())

    @property
    def unchanged(self) -> int:
        return sum(k.unchanged for k in self.kinds.values())

    @property
    def rejected(self) -> int:
        return sum(k.rejected for k in self.kinds.values())

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["rejects_file"] = str(self.rejects_file) if self.rejects_file else None
        data.update(inserted=self.inserted, updated=self.updated, unchanged=self.unchanged, rejected=self.rejected)
        return data


def write_rejects(path: Path, problems: list[tuple[str, Problem]]) -> None:
    """CSV of rejected rows: kind, row number, field, masked value, reason."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["kind", "row_number", "field", "value", "reason"])
        for kind, p in problems:
            writer.writerow([kind, p.row_number, p.field, p.value or "", p.reason])
