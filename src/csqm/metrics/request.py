"""What a caller asks for: breakdown, grain, range and filters; and the error when it cannot be done."""

from __future__ import annotations

from dataclasses import dataclass, field

from csqm.errors import CsqmError
from csqm.metrics.filters import Filter
from csqm.metrics.timegrid import Window


class MetricQueryError(CsqmError):
    """A metric query that cannot be answered as asked (unknown metric, unsupported dimension …)."""


@dataclass(frozen=True)
class Request:
    """What to compute: breakdown, grain and slice. The window's dates are local."""

    by: tuple[str, ...] = ()
    grain: str | None = None
    window: Window = field(default_factory=lambda: Window("Asia/Shanghai"))
    filters: tuple[Filter, ...] = ()

    @property
    def keys(self) -> list[str]:
        """Result key columns: ``period`` (with a grain), then the breakdown dimensions."""
        return (["period"] if self.grain else []) + list(self.by)
