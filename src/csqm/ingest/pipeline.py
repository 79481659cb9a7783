"""Ingest one file as one atomic batch.

read (``readers``) → map (canonical header or a profile) → validate (``validate``) → mask free text
and pseudonymise identities (``csqm.privacy``) → link customers (``link``) → stage in temporary
tables → one transaction merges every kind, writes identities, quarantine and the batch record.

A crash or Ctrl-C before the commit leaves the store exactly as it was; ingesting the same file again
changes nothing; a corrected re-export updates only the changed rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from csqm.errors import IngestError
from csqm.ingest.canonical import CUSTOMER_LINKED_KINDS, IDENTITY_FIELDS, canonical_fields, required_fields
from csqm.ingest.link import CustomerLinker
from csqm.ingest.profiles import Profile, load_profile
from csqm.ingest.readers import open_source
from csqm.ingest.stage import to_arrow
from csqm.ingest.summary import IngestSummary, KindCounts, write_rejects
from csqm.ingest.transforms import TRANSFORMS
from csqm.ingest.validate import Problem, validate
from csqm.metrics.rollup import after_change as refresh_rollup
from csqm.privacy import Masker
from csqm.settings import Settings
from csqm.store import ddl
from csqm.store.base import Store
from csqm.store.schema import INGEST_KINDS, table

Progress = Callable[[int], None]


def _maskable(kind: str) -> list[str]:
    """Free-text columns: everything textual that is not an id or a code."""
    decl = table(kind)
    return [
        c.name
        for c in decl.columns
        if c.type == "text" and not c.values and not c.name.endswith("_id") and c.name not in ("batch_id", "pii_kinds")
    ]


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class BatchIngest:
    """State of one file's ingest. Use :func:`ingest_file`."""

    def __init__(self, store: Store, settings: Settings, path: Path, kind: str | None, profile: Profile | None) -> None:
        self.store, self.settings, self.path = store, settings, path
        self.kind, self.profile = kind, profile
        self.tz = (profile.timezone if profile and profile.timezone else None) or settings.timezone
        self.masker = Masker(settings.secret_key(), keep_raw=settings.keep_raw_pii)
        self.linker = CustomerLinker(store, self.masker, keep_raw=settings.keep_raw_pii)
        self.sha = _file_hash(path)
        started = datetime.now(UTC).replace(tzinfo=None)
        self.started = started
        self.batch_id = f"b{started:%Y%m%d%H%M%S%f}-{self.sha[:8]}"
        self.summary = IngestSummary(
            source=path.name, batch_id=self.batch_id, profile=profile.name if profile else "canonical"
        )
        self.stages: dict[str, str] = {}
        self.columns: dict[str, set[str]] = {}
        self.problems: list[tuple[str, Problem]] = []

    # -- reading and mapping -----------------------------------------------------------------
    def _canonical_header(self, columns: list[str]) -> dict[str, str]:
        assert self.kind is not None
        fields = {f.lower(): f for f in canonical_fields(self.kind)}
        rename = {c: fields[c.strip().lower()] for c in columns if c.strip().lower() in fields}
        self.summary.ignored_columns = [c for c in columns if c not in rename]
        missing = [f for f in required_fields(self.kind) if f not in rename.values()]
        if missing:
            raise IngestError(
                f"{self.path.name} is missing required column(s) {', '.join(missing)} for {self.kind}; "
                f"use the canonical header (see docs/data-model.md) or a mapping profile (--profile)."
            )
        if self.kind == "customers" and not set(rename.values()) & set(IDENTITY_FIELDS):
            raise IngestError(
                f"{self.path.name} has no customer identifier column (e.g. customer_phone, customer_crm_id)."
            )
        return rename

    def _check_profile_columns(self, columns: list[str]) -> None:
        assert self.profile is not None
        missing = sorted(self.profile.source_columns() - set(columns))
        if missing:
            raise IngestError(
                f"{self.path.name} does not match profile {self.profile.name}: missing column(s) {', '.join(missing)}."
            )
        self.summary.ignored_columns = [c for c in columns if c not in self.profile.source_columns()]

    def run(self, *, encoding: str | None, fmt: str | None, progress: Progress | None) -> IngestSummary:
        source = open_source(
            self.path, format=fmt, encoding=encoding or (self.profile.encoding if self.profile else None)
        )
        rename: dict[str, str] = {}
        if self.profile is None:
            rename = self._canonical_header(source.columns)
        elif not self.profile.transform:
            self._check_profile_columns(source.columns)
        whole: list[pd.DataFrame] = []
        for chunk in source.chunks():
            frame = chunk.frame.set_axis(chunk.row_numbers, axis=0)
            self.summary.rows_read += len(frame)
            if self.profile is None:
                assert self.kind is not None
                self._process(self.kind, frame[list(rename)].rename(columns=rename))
            elif self.profile.transform:
                whole.append(frame)
            else:
                for kind, out in self.profile.apply(frame).items():
                    self._process(kind, out)
            if progress:
                progress(len(frame))
        if self.profile is not None and self.profile.transform:
            self._transform(whole)
        main_kind = self.kind or next(iter(self.columns), "unknown")
        for problem in source.problems:
            self.summary.rows_read += 1
            self._reject(main_kind, [Problem(problem.row_number, problem.field, None, problem.reason)])
        self._commit()
        return self.summary

    def _transform(self, frames: list[pd.DataFrame]) -> None:
        assert self.profile is not None and self.profile.transform
        fn = TRANSFORMS.get(self.profile.transform)
        if fn is None:
            raise IngestError(f"Profile {self.profile.name} names an unknown transform {self.profile.transform!r}.")
        whole = pd.concat(frames) if frames else pd.DataFrame()
        for kind, out in fn(whole).items():
            self._process(kind, out)

    # -- per chunk ----------------------------------------------------------------------------
    def _reject(self, kind: str, problems: list[Problem]) -> None:
        counts = self.summary.kinds.setdefault(kind, KindCounts())
        counts.rejected += len({p.row_number for p in problems})
        self.problems.extend((kind, p) for p in problems)

    def _process(self, kind: str, raw: pd.DataFrame) -> None:
        counts = self.summary.kinds.setdefault(kind, KindCounts())
        counts.read += len(raw)
        checked = validate(kind, raw.reset_index(drop=True), raw.index.to_numpy(dtype=np.int64), tz=self.tz)
        self._reject(kind, checked.problems)
        frame, rows = checked.frame, checked.row_numbers
        for col in _maskable(kind):
            if col in frame:
                masked, kinds = self.masker.mask_texts(frame[col].tolist())
                frame[col] = masked
                if kind == "utterances" and col == "text":
                    frame["pii_kinds"] = kinds
        if kind in CUSTOMER_LINKED_KINDS:
            frame, rows = self._link(kind, frame, rows)
        if kind == "customers":
            if "customer_name" in frame:
                frame["display_name"] = frame["customer_name"].map(self.masker.mask_name)
            if "customer_address" in frame:
                frame["display_address"] = frame["customer_address"].map(self.masker.mask_address)
        self._stage(kind, frame, rows)

    def _link(self, kind: str, frame: pd.DataFrame, rows: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        ids, problems = self.linker.link(kind, frame, rows)
        if problems:
            self._reject(kind, problems)
            bad = set(p.row_number for p in problems)
            keep = ~np.isin(rows, list(bad))
            frame, rows, ids = (
                frame[keep].reset_index(drop=True),
                rows[keep],
                ids[keep].reset_index(drop=True),
            )
        frame = frame.drop(columns=[c for c in IDENTITY_FIELDS if c in frame])
        if kind == "customers":
            missing = ids.isna().to_numpy()
            if missing.any():
                self._reject(
                    kind,
                    [
                        Problem(int(r), "customer_crm_id", None, "no customer identifier in this row")
                        for r in rows[missing]
                    ],
                )
                frame, rows, ids = (
                    frame[~missing].reset_index(drop=True),
                    rows[~missing],
                    ids[~missing].reset_index(drop=True),
                )
        frame["customer_id"] = ids.to_numpy()
        return frame, rows

    def _stage(self, kind: str, frame: pd.DataFrame, rows: np.ndarray) -> None:
        decl = table(kind)
        if kind not in self.stages:
            self.stages[kind] = f"_csqm_stage_{kind}"
            self.store.create_stage(decl, self.stages[kind])
            self.columns[kind] = set()
        self.columns[kind] |= {c for c in frame.columns if c in decl.column_names}
        if len(frame):
            self.store.load_arrow(self.stages[kind], to_arrow(decl, frame, rows, self.batch_id))

    # -- commit ---------------------------------------------------------------------------------
    def _dedupe(self, kind: str) -> None:
        """Reject later rows whose key repeats an earlier row of the same file."""
        decl, stage = table(kind), ddl.quote(self.stages[kind])
        keys = ", ".join(ddl.quote(k) for k in decl.key)
        later = (
            f'SELECT "_row", "first" FROM (SELECT "_row", min("_row") OVER (PARTITION BY {keys}) AS "first" '
            f'FROM {stage}) d WHERE "_row" <> "first"'
        )
        dupes = self.store.query(f'{later} ORDER BY "_row"')
        if dupes.empty:
            return
        what = "customer (same identifiers)" if kind == "customers" else f"{'/'.join(decl.key)}"
        self._reject(
            kind,
            [
                Problem(int(r), decl.key[-1], None, f"duplicate {what}: also at row {int(f)}")
                for r, f in dupes.itertuples(index=False)
            ],
        )
        self.store.execute(f'DELETE FROM {stage} WHERE "_row" IN (SELECT "_row" FROM ({later}) x)')

    def _fill_teams(self) -> None:
        stage = self.stages.get("interactions")
        if stage and "agent_id" in self.columns["interactions"]:
            q = ddl.quote(stage)
            self.store.execute(
                f'UPDATE {q} SET "team_id" = a."team_id" FROM "agents" a '
                f'WHERE {q}."team_id" IS NULL AND a."agent_id" = {q}."agent_id"'
            )
            self.columns["interactions"].add("team_id")

    def _commit(self) -> None:
        self.linker.remap_stages(self.stages)
        for kind in self.stages:
            self._dedupe(kind)
        self._fill_teams()
        with self.store.transaction():
            for kind in [k for k in INGEST_KINDS if k in self.stages]:
                counts = self.summary.kinds[kind]
                staged = int(self.store.scalar(f"SELECT count(*) FROM {ddl.quote(self.stages[kind])}"))
                counts.inserted, counts.updated = self.store.merge_stage(
                    table(kind), self.stages[kind], columns=sorted(self.columns[kind])
                )
                counts.unchanged = staged - counts.inserted - counts.updated
            self._invalidate_inspections()
            merged, conflicts = self.linker.commit(self.batch_id)
            self.summary.customers_merged, self.summary.identity_conflicts = merged, conflicts
            self._write_quarantine()
            self._write_batch()
        for stage in self.stages.values():
            self.store.execute(f"DROP TABLE IF EXISTS {ddl.quote(stage)}")
        refresh_rollup(self.store)
        if self.problems:
            path = self.settings.data_dir / "rejects" / f"{self.path.name}.{self.batch_id}.rejects.csv"
            write_rejects(path, self.problems)
            self.summary.rejects_file = path

    def _invalidate_inspections(self) -> None:
        """Conversations whose call record or transcript this batch inserted or changed lose their
        inspection results, so the next `csqm inspect` checks them again."""
        for kind in ("interactions", "utterances"):
            if kind not in self.stages:
                continue
            touched = f'SELECT "interaction_id" FROM {ddl.quote(kind)} WHERE "batch_id" = ?'
            for results in ("inspection_findings", "inspection_results"):
                self.store.execute(f'DELETE FROM "{results}" WHERE "interaction_id" IN ({touched})', (self.batch_id,))

    def _write_quarantine(self) -> None:
        if not self.problems:
            return
        now = datetime.now(UTC).replace(tzinfo=None)
        seen: dict[tuple[str, int, str], Problem] = {}
        for kind, p in self.problems:
            seen.setdefault((kind, p.row_number, p.field), p)
        frame = pd.DataFrame(
            [(self.batch_id, k, self.path.name, r, f, p.value, p.reason, now) for (k, r, f), p in seen.items()],
            columns=["batch_id", "kind", "source", "row_number", "field", "value", "reason", "rejected_at"],
        )
        decl = table("quarantine")
        self.store.create_stage(decl, "_csqm_stage_quarantine")
        self.store.load_arrow("_csqm_stage_quarantine", to_arrow(decl, frame, np.arange(len(frame)), self.batch_id))
        self.store.merge_stage(decl, "_csqm_stage_quarantine")

    def _write_batch(self) -> None:
        s = self.summary
        self.store.execute(
            'INSERT INTO "ingest_batches" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            (
                self.batch_id,
                ",".join(s.kinds),
                self.path.name,
                self.sha,
                s.profile,
                self.started,
                datetime.now(UTC).replace(tzinfo=None),
                s.rows_read,
                s.inserted,
                s.updated,
                s.unchanged,
                s.rejected,
            ),
        )


def ingest_file(
    path: str | Path,
    kind: str | None = None,
    *,
    store: Store,
    settings: Settings | None = None,
    profile: str | Path | None = None,
    encoding: str | None = None,
    format: str | None = None,
    progress: Progress | None = None,
) -> IngestSummary:
    """Ingest one file as one atomic batch; return what happened."""
    settings = settings or Settings.from_env()
    path = Path(path)
    if not path.exists():
        raise IngestError(f"No such file: {path}.")
    loaded = load_profile(profile) if profile else None
    if loaded is None and kind is None:
        raise IngestError("Say what the file holds: a data kind (e.g. interactions) or a --profile.")
    if kind is not None and kind not in INGEST_KINDS:
        raise IngestError(f"Unknown data kind {kind!r}; kinds are {', '.join(INGEST_KINDS)}.")
    return BatchIngest(store, settings, path, kind, loaded).run(encoding=encoding, fmt=format, progress=progress)
