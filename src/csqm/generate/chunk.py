"""One chunk of interactions: primaries, their repeats, handling, timings, flags and identities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from csqm.generate import behaviour as B
from csqm.generate import plan as P
from csqm.generate.contacts import Draw, Drawer
from csqm.generate.org import Org, prefixed_ids
from csqm.generate.people import Customers

#: Probability that a handled contact is followed by a repeat within 24 h.
REPEAT_UNRESOLVED, REPEAT_RESOLVED, REPEAT_FORBIDDEN_TEAM = 0.35, 0.04, 0.25


@dataclass(frozen=True)
class Chunk:
    """All per-contact arrays of one chunk; row ``i`` is interaction number ``first + i + 1``."""

    index: int
    first: int
    draw: Draw
    handling: B.Handling
    timing: B.Timing
    flags: B.Flags
    ident: np.ndarray

    @property
    def n(self) -> int:
        return len(self.draw.cust)

    @property
    def ids(self) -> pa.Array:
        return prefixed_ids("INT", self.first, self.n)

    @property
    def answered(self) -> np.ndarray:
        """Answered timestamp, -1 where abandoned."""
        at = self.draw.offered + self.timing.wait.astype(np.int64)
        return np.where(self.handling.abandoned, -1, at)

    @property
    def ended(self) -> np.ndarray:
        return np.asarray(self.draw.offered + (self.timing.wait + self.timing.span).astype(np.int64))


def build_chunk(plan: P.Plan, drawer: Drawer, org: Org, people: Customers, index: int, first: int, n: int) -> Chunk:
    """Draw chunk ``index`` of ``n`` interactions (chunk 0 starts with the planted bad experiences)."""
    rng = plan.rng(10, index)
    prim = drawer.primaries(n, rng)
    if index == 0:
        prim = drawer.bad_experiences(rng).concat(prim).take(np.arange(n))
        prim = prim.take(rng.permutation(n))
    handling = B.handle(prim, org, people, plan, rng)
    eligible = ~handling.abandoned & ~prim.bad
    p = np.where(handling.resolved, REPEAT_RESOLVED, REPEAT_UNRESOLVED)
    p = p + REPEAT_FORBIDDEN_TEAM * (handling.team == org.team(P.FORBIDDEN_TEAM))
    repeat = eligible & (rng.random(n) < p)
    keep, drop_last = _primaries_fitting(repeat, n)
    repeat[keep - 1] &= not drop_last
    rows = np.arange(keep)
    prim, handling = prim.take(rows), B.take(handling, rows)
    reps = drawer.repeats(prim, np.flatnonzero(repeat[:keep]), rng)
    draw = prim.concat(reps)
    handling = B.concat(handling, B.handle(reps, org, people, plan, rng))
    return Chunk(
        index=index,
        first=first,
        draw=draw,
        handling=handling,
        timing=B.timing(draw, handling, org, people, plan, rng),
        flags=B.flags(draw, handling, org, people, rng),
        ident=B.identities(draw, people, rng),
    )


def _primaries_fitting(repeat: np.ndarray, n: int) -> tuple[int, bool]:
    """How many primaries (with their repeats) make exactly ``n`` rows, and whether the last of them
    must lose its repeat to fit."""
    total = np.cumsum(1 + repeat.astype(np.int64))
    keep = int(np.searchsorted(total, n, side="right"))
    used = int(total[keep - 1]) if keep else 0
    return (keep + 1, True) if used < n else (keep, False)
