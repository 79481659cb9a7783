"""Local dates and periods: the reporting zone's calendar over the store's naive-UTC timestamps.

A range ``start … end`` is in local dates, both inclusive (``--to 2026-03-31`` includes the whole of
31 March, local time). Periods start at local midnight; weeks start on Monday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

#: Bounds used when a span source (agents) is asked for without a range and without a grain.
OPEN_START = date(1900, 1, 1)
OPEN_END = date(2200, 1, 1)

_MONTHS = {"month": 1, "quarter": 3}
_FIXED = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}


@dataclass(frozen=True)
class Window:
    """A local date range [start, end) in a zone; either side may be open."""

    zone: str
    start: date | None = None
    end_exclusive: date | None = None

    @classmethod
    def inclusive(cls, zone: str, start: date | None, end: date | None) -> Window:
        return cls(zone, start, end + timedelta(days=1) if end is not None else None)

    def utc(self, day: date) -> datetime:
        """Local midnight of ``day`` as a naive UTC timestamp."""
        local = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(self.zone))
        return local.astimezone(UTC).replace(tzinfo=None)

    def utc_bounds(self) -> tuple[datetime | None, datetime | None]:
        start = self.utc(self.start) if self.start else None
        end = self.utc(self.end_exclusive) if self.end_exclusive else None
        return start, end

    def fixed_offset_hours(self) -> float | None:
        """The zone's UTC offset in hours if it is the same over the whole (bounded) range."""
        if self.start is None or self.end_exclusive is None:
            return None
        tz = ZoneInfo(self.zone)
        day = self.start - timedelta(days=1)
        last = self.end_exclusive + timedelta(days=1)
        offsets: set[float] = set()
        while day <= last and len(offsets) < 2:
            for hour in (0, 12):
                offset = datetime(day.year, day.month, day.day, hour, tzinfo=tz).utcoffset()
                offsets.add(offset.total_seconds() if offset is not None else 0.0)
            day += timedelta(days=1)
        return offsets.pop() / 3600 if len(offsets) == 1 else None


def truncate(grain: str, moment: datetime) -> datetime:
    """Start of the ``grain`` period containing a local ``moment`` (weeks start on Monday)."""
    day = datetime(moment.year, moment.month, moment.day)
    if grain == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    raise ValueError(f"unknown grain {grain!r}")


def periods(grain: str | None, start: date, end_exclusive: date) -> list[tuple[datetime, datetime]]:
    """Local [start, end) of every period overlapping the range; one period when there is no grain."""
    first = datetime(start.year, start.month, start.day)
    stop = datetime(end_exclusive.year, end_exclusive.month, end_exclusive.day)
    if grain is None:
        return [(first, stop)]
    out = []
    current = truncate(grain, first)
    while current < stop:
        nxt = next_start(grain, current)
        out.append((current, nxt))
        current = nxt
    return out


def next_start(grain: str, moment: datetime) -> datetime:
    """Start of the period after the one starting at ``moment``."""
    if grain in _FIXED:
        return moment + _FIXED[grain]
    months = moment.month - 1 + _MONTHS[grain]
    return moment.replace(year=moment.year + months // 12, month=months % 12 + 1)
