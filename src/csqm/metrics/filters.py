"""The ``--where`` language: a few dimension conditions, never SQL.

Grammar (whitespace around tokens is ignored)::

    where      := condition (";" condition)*
    condition  := dimension ("=" | "!=") value ("," value)*

``channel=phone,chat;business_line=ToB`` keeps phone and chat contacts of ToB business;
``channel!=bot`` drops bot sessions (rows without a channel are kept). Dimensions are the names in
``csqm.metrics.sources.DIMENSIONS``; values of enumerated dimensions (channel, business_line) are
checked. Values reach the database only as bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from csqm.errors import ConfigError
from csqm.metrics.sources import DIMENSION_VALUES, DIMENSIONS

_CONDITION = re.compile(r"^\s*([a-z_]+)\s*(!=|=)\s*(.+?)\s*$")


class FilterError(ConfigError):
    """A ``--where`` expression that cannot be understood."""


@dataclass(frozen=True)
class Filter:
    """``dimension IN values`` (or NOT IN when ``negate``)."""

    dimension: str
    values: tuple[str, ...]
    negate: bool = False

    def __str__(self) -> str:
        return f"{self.dimension}{'!=' if self.negate else '='}{','.join(self.values)}"

    @property
    def fixes(self) -> str | None:
        """The one value this filter pins its dimension to, if it does."""
        return self.values[0] if not self.negate and len(self.values) == 1 else None


def parse_where(text: str | Iterable[str] | None) -> tuple[Filter, ...]:
    """Parse one or more ``--where`` strings (all conditions must hold)."""
    if text is None:
        return ()
    texts = [text] if isinstance(text, str) else list(text)
    out: list[Filter] = []
    problems: list[str] = []
    for part in (p for t in texts for p in t.split(";")):
        if not part.strip():
            continue
        try:
            out.append(_condition(part))
        except FilterError as exc:
            problems.append(str(exc))
    if problems:
        raise FilterError("Invalid --where: " + "; ".join(problems))
    return tuple(out)


def _condition(part: str) -> Filter:
    match = _CONDITION.match(part)
    if match is None:
        raise FilterError(f"{part.strip()!r} is not `dimension=value[,value…]` or `dimension!=value…`")
    dimension, operator, rest = match.groups()
    if dimension not in DIMENSIONS:
        raise FilterError(f"unknown dimension {dimension!r} (known: {', '.join(DIMENSIONS)})")
    values = tuple(dict.fromkeys(v.strip() for v in rest.split(",") if v.strip()))
    if not values:
        raise FilterError(f"{dimension} needs at least one value")
    known = DIMENSION_VALUES.get(dimension)
    if known and (bad := [v for v in values if v not in known]):
        raise FilterError(f"unknown {dimension} {', '.join(map(repr, bad))} (known: {', '.join(known)})")
    return Filter(dimension, values, negate=operator == "!=")
