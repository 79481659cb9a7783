"""Identity resolution: identifiers seen together belong to one customer.

Each input row carries zero or more pseudonymised identifiers (phone, e-mail, WeChat openid, member
id, social handle, CRM id). Identifiers on one row are linked; linked identifiers form one customer,
so the same person arriving by phone, chat and store gets one ``customer_id``.

Rules:
- A new cluster's id is derived from its smallest pseudonym (``C`` + 15 hex), so re-ingesting gives
  the same ids.
- When a row links two known customers they merge: the one holding a CRM id survives, then an
  already stored one, then the smaller id; the merge is audited in ``customer_merges`` and the
  survivor inherits the attributes (segment, region …) it lacks from the merged customer.
- CRM ids are authoritative: two customers with different CRM ids are never merged. Such a row is a
  conflict (audited in ``identity_conflicts``); it is linked to the customer of its own CRM id, or
  to the first customer it names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

Identity = tuple[str, str]  # (kind, pseudonym)

AUTHORITATIVE = "crm_id"


def new_customer_id(identity: Identity) -> str:
    return "C" + identity[1][:15]


@dataclass
class Conflict:
    row_key: int
    customer_id: str
    other_customer_id: str
    reason: str


@dataclass
class Resolver:
    """Union-find over customers. ``known`` maps identifiers already stored to their customer."""

    known: dict[Identity, str] = field(default_factory=dict)
    stored_customers: set[str] = field(default_factory=set)
    parent: dict[str, str] = field(default_factory=dict)
    crm: dict[str, set[str]] = field(default_factory=dict)  # root -> CRM pseudonyms in the cluster
    assigned: dict[Identity, str] = field(default_factory=dict)
    merges: list[tuple[str, str, str]] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    def add_known(self, mapping: dict[Identity, str]) -> None:
        """Identifiers found in the store (customer ids as stored)."""
        for ident, cid in mapping.items():
            self.known[ident] = cid
            self.stored_customers.add(cid)
            self._ensure(cid)
            if ident[0] == AUTHORITATIVE:
                self.crm[self.find(cid)].add(ident[1])

    def _ensure(self, cid: str) -> None:
        if cid not in self.parent:
            self.parent[cid] = cid
            self.crm[cid] = set()

    def find(self, cid: str) -> str:
        root = cid
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[cid] != root:  # path compression
            self.parent[cid], cid = root, self.parent[cid]
        return root

    def _rank(self, cid: str) -> tuple[int, int, str]:
        # The customer holding a CRM id survives, then one already stored, then the smaller id.
        return (0 if self.crm.get(cid) else 1, 0 if cid in self.stored_customers else 1, cid)

    def _union(self, a: str, b: str, reason: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.crm[ra] and self.crm[rb] and self.crm[ra].isdisjoint(self.crm[rb]):
            return False
        keep, drop = sorted((ra, rb), key=self._rank)
        self.parent[drop] = keep
        self.crm[keep] |= self.crm.pop(drop)
        self.merges.append((drop, keep, reason))
        return True

    def _new(self, ident: Identity) -> str:
        cid = new_customer_id(ident)
        self._ensure(cid)
        self.assigned[ident] = cid
        if ident[0] == AUTHORITATIVE:
            self.crm[cid].add(ident[1])
        return cid

    def current(self, ident: Identity) -> str | None:
        cid = self.assigned.get(ident) or self.known.get(ident)
        return None if cid is None else self.find(cid)

    def resolve_row(self, row_key: int, identities: Iterable[Identity]) -> str | None:
        """Link one row's identifiers; return its (provisional) customer id."""
        idents = sorted(set(identities))
        if not idents:
            return None
        crm_idents = [i for i in idents if i[0] == AUTHORITATIVE]
        owners = [(i, c) for i in idents if (c := self.current(i)) is not None]
        if crm_idents:
            target = self.current(crm_idents[0]) or self._new(crm_idents[0])
        elif owners:
            target = owners[0][1]
        else:
            target = self._new(idents[0])
        kinds = "+".join(sorted({i[0] for i in idents}))
        for _ident, owner in owners:
            if not self._union(target, owner, f"linked by {kinds}"):
                other = self.find(owner)
                self.conflicts.append(
                    Conflict(row_key, self.find(target), other, f"{kinds} link two different CRM customers")
                )
        target = self.find(target)
        for ident in idents:
            if self.current(ident) is None:
                self.assigned[ident] = target
                if ident[0] == AUTHORITATIVE:
                    self.crm[target].add(ident[1])
        return target

    def final_merges(self) -> dict[str, str]:
        """Every customer id that no longer stands on its own -> the id that survives."""
        return {cid: self.find(cid) for cid in self.parent if self.find(cid) != cid}
