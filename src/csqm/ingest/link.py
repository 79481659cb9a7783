"""Linking input rows to customers: mask and pseudonymise identity fields, then resolve identities.

Works chunk by chunk against the store: identifiers already stored are looked up once, new ones are
resolved in memory (``csqm.customers.identity.Resolver``) and written when the batch commits.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from csqm.customers.identity import Identity, Resolver
from csqm.ingest.canonical import CUSTOMER_LINKED_KINDS, IDENTITY_FIELDS
from csqm.ingest.stage import to_arrow
from csqm.ingest.validate import Problem
from csqm.privacy import Masker, redact_for_message
from csqm.store import ddl
from csqm.store.base import Store
from csqm.store.schema import table

LOOKUP = "_csqm_lookup"
REMAP = "_csqm_remap"


class CustomerLinker:
    """Assigns ``customer_id`` to rows of one ingest batch."""

    def __init__(self, store: Store, masker: Masker, *, keep_raw: bool) -> None:
        self.store = store
        self.masker = masker
        self.keep_raw = keep_raw
        self.resolver = Resolver()
        self.looked_up: set[Identity] = set()
        self.display: dict[Identity, tuple[str, str | None]] = {}
        self.conflict_rows: dict[int, str] = {}

    def link(self, kind: str, frame: pd.DataFrame, rows: np.ndarray) -> tuple[pd.Series, list[Problem]]:
        """Customer id per row (None when the row names no customer) and identity problems."""
        problems: list[Problem] = []
        idents: list[list[Identity]] = [[] for _ in range(len(frame))]
        bad = np.zeros(len(frame), dtype=bool)
        for field, id_kind in IDENTITY_FIELDS.items():
            if field not in frame:
                continue
            for i, value in enumerate(frame[field].to_numpy()):
                if value is None or (isinstance(value, float) and np.isnan(value)):
                    continue
                masked = self.masker.mask_identity(id_kind, str(value))
                if masked is None:
                    bad[i] = True
                    problems.append(
                        Problem(
                            int(rows[i]),
                            field,
                            redact_for_message(value),
                            f"not a valid {id_kind.replace('_', ' ')}",
                        )
                    )
                    continue
                ident = (id_kind, masked.pseudonym)
                idents[i].append(ident)
                self.display.setdefault(ident, (masked.display, masked.raw if self.keep_raw else None))
        self._load_known({i for row in idents for i in row} - self.looked_up)
        before = len(self.resolver.conflicts)
        ids = [None if bad[i] else self.resolver.resolve_row(int(rows[i]), idents[i]) for i in range(len(frame))]
        for conflict in self.resolver.conflicts[before:]:
            self.conflict_rows.setdefault(conflict.row_key, kind)
        return pd.Series(ids, index=frame.index, dtype=object), problems

    def _load_known(self, new: set[Identity]) -> None:
        if not new:
            return
        self.looked_up |= new
        lookup = pa.table({"kind": [k for k, _ in new], "pseudonym": [p for _, p in new]})
        self.store.execute(f'CREATE TEMPORARY TABLE IF NOT EXISTS {LOOKUP} ("kind" TEXT, "pseudonym" TEXT)')
        self.store.execute(f"DELETE FROM {LOOKUP}")
        self.store.load_arrow(LOOKUP, lookup)
        found = self.store.query(
            f'SELECT i."kind", i."pseudonym", i."customer_id" FROM "customer_identities" i '
            f'JOIN {LOOKUP} l ON i."kind" = l."kind" AND i."pseudonym" = l."pseudonym"'
        )
        if found.empty:
            return
        crm = self.store.query(
            'SELECT i."kind", i."pseudonym", i."customer_id" FROM "customer_identities" i '
            f'WHERE i."kind" = ? AND i."customer_id" IN (SELECT c."customer_id" FROM "customer_identities" c '
            f'JOIN {LOOKUP} l ON c."kind" = l."kind" AND c."pseudonym" = l."pseudonym")',
            ("crm_id",),
        )
        both = pd.concat([found, crm], ignore_index=True)
        self.resolver.add_known({(k, p): c for k, p, c in both.itertuples(index=False)})

    # -- at commit ---------------------------------------------------------------------------
    def remap_stages(self, stages: dict[str, str]) -> dict[str, str]:
        """Point staged rows of merged customers at the surviving customer; return the merges."""
        remap = self.resolver.final_merges()
        if not remap:
            return remap
        self.store.execute(f'CREATE TEMPORARY TABLE IF NOT EXISTS {REMAP} ("old" TEXT, "new" TEXT)')
        self.store.execute(f"DELETE FROM {REMAP}")
        self.store.load_arrow(REMAP, pa.table({"old": list(remap), "new": list(remap.values())}))
        for kind, stage in stages.items():
            if kind in CUSTOMER_LINKED_KINDS:
                self._apply_remap(stage)
        return remap

    def _apply_remap(self, name: str) -> None:
        q = ddl.quote(name)
        self.store.execute(f'UPDATE {q} SET "customer_id" = r."new" FROM {REMAP} r WHERE {q}."customer_id" = r."old"')

    def commit(self, batch_id: str) -> tuple[int, int]:
        """Inside the batch transaction: merges, new identifiers, missing customers, conflicts."""
        now = datetime.now(UTC).replace(tzinfo=None)
        remap = self.resolver.final_merges()
        if remap:
            for name in ("customer_identities", *[k for k in CUSTOMER_LINKED_KINDS if k != "customers"]):
                self._apply_remap(name)
            self._inherit_attributes()
            self.store.execute(f'DELETE FROM "customers" WHERE "customer_id" IN (SELECT "old" FROM {REMAP})')
            merges = pd.DataFrame(
                [(old, new, reason, now) for old, new, reason in self._merge_reasons(remap, batch_id)],
                columns=["merged_customer_id", "into_customer_id", "reason", "merged_at"],
            )
            self._upsert("customer_merges", merges)
        find = self.resolver.find
        rows = [
            (k, p, find(c), *self.display.get((k, p), (None, None)), now)
            for (k, p), c in self.resolver.assigned.items()
        ]
        idents = pd.DataFrame(
            rows, columns=["kind", "pseudonym", "customer_id", "masked_value", "raw_value", "first_seen_at"]
        )
        self._upsert("customer_identities", idents)
        customers = pd.DataFrame({"customer_id": sorted({find(c) for c in self.resolver.assigned.values()})})
        self._upsert("customers", customers, batch_id=batch_id, insert_only=True)
        conflicts = self._conflicts(batch_id)
        self._upsert("identity_conflicts", conflicts)
        return len(remap), len(conflicts)

    def _inherit_attributes(self) -> None:
        """The surviving customer keeps its own attributes and takes the ones it lacks."""
        attrs = [c for c in table("customers").data_columns if c not in ("customer_id", "first_seen_at")]
        picked = ", ".join(f"max(c.{ddl.quote(a)}) AS {ddl.quote(a)}" for a in attrs)
        assign = ", ".join(f"{ddl.quote(a)} = COALESCE(t.{ddl.quote(a)}, m.{ddl.quote(a)})" for a in attrs)
        self.store.execute(
            f'UPDATE "customers" AS t SET {assign}, "first_seen_at" = CASE WHEN t."first_seen_at" IS NULL '
            'OR m."first_seen_at" < t."first_seen_at" THEN m."first_seen_at" ELSE t."first_seen_at" END '
            f'FROM (SELECT r."new" AS "survivor", min(c."first_seen_at") AS "first_seen_at", {picked} '
            f'FROM "customers" c JOIN {REMAP} r ON c."customer_id" = r."old" GROUP BY r."new") AS m '
            'WHERE t."customer_id" = m."survivor"'
        )

    def _merge_reasons(self, remap: dict[str, str], batch_id: str) -> list[tuple[str, str, str]]:
        reasons = {old: why for old, _, why in self.resolver.merges}
        return [(old, new, f"{reasons.get(old, 'linked')} in batch {batch_id}") for old, new in remap.items()]

    def _conflicts(self, batch_id: str) -> pd.DataFrame:
        seen: dict[int, tuple[str, str, str]] = {}
        for c in self.resolver.conflicts:
            seen.setdefault(
                c.row_key,
                (self.resolver.find(c.customer_id), self.resolver.find(c.other_customer_id), c.reason),
            )
        return pd.DataFrame(
            [(batch_id, self.conflict_rows[r], r, a, b, why) for r, (a, b, why) in seen.items()],
            columns=["batch_id", "kind", "row_number", "customer_id", "other_customer_id", "reason"],
        )

    def _upsert(self, name: str, frame: pd.DataFrame, *, batch_id: str = "", insert_only: bool = False) -> None:
        if frame.empty:
            return
        decl = table(name)
        stage = f"_csqm_stage_{name}"
        self.store.create_stage(decl, stage)
        self.store.load_arrow(stage, to_arrow(decl, frame, np.arange(len(frame)), batch_id))
        self.store.merge_stage(decl, stage, columns=list(frame.columns), insert_only=insert_only)
        self.store.execute(f"DROP TABLE {ddl.quote(stage)}")
