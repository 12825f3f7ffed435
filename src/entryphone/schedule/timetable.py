"""A device's call timetable: its wire form (strings with UTC offsets) parsed into values the rule uses.

Pure: no I/O, no clock. The client API validates with these parsers, stores the normalised strings and
the call rule (rule.py) reads them back through `Timetable.from_json`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SAME_EVERY_DAY = "same_every_day"
DAY_TYPES = (*WEEKDAYS, SAME_EVERY_DAY)

SECONDS_PER_DAY = 86_400
# Offsets real time zones use: -12:00 .. +14:00.
MAX_OFFSET_SECONDS = 14 * 3600
MIN_OFFSET_SECONDS = -12 * 3600

_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}))?([+-])(\d{2}):(\d{2})$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class ClockTime:
    """A time of day with its own UTC offset, e.g. 10:00+01:00."""

    seconds: int  # since local midnight, 0..86399
    offset: int  # seconds east of UTC

    def wire(self) -> str:
        hours, rest = divmod(self.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours:02d}:{minutes:02d}:{seconds:02d}{format_offset(self.offset)}"


@dataclass(frozen=True)
class DayWindow:
    """Calls ring from `start` to `end` (both inclusive, to the second) on `type` days, in the
    window's own offset (that of `start`). An end earlier than the start wraps past midnight."""

    type: str
    start: ClockTime
    end: ClockTime

    def wire(self) -> dict[str, str]:
        return {"type": self.type, "from": self.start.wire(), "to": self.end.wire()}


@dataclass(frozen=True)
class Interval:
    """An absolute period, both ends inclusive."""

    start: datetime
    end: datetime

    def wire(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


@dataclass(frozen=True)
class Timetable:
    days: tuple[DayWindow, ...] = ()
    intervals: tuple[Interval, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.days and not self.intervals

    def to_json(self) -> dict[str, list[dict[str, str]]]:
        return {"days": [day.wire() for day in self.days], "intervals": [i.wire() for i in self.intervals]}

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> Timetable:
        """Read back what `to_json` stored (already validated when it was written)."""
        if not raw:
            return cls()
        days = tuple(
            DayWindow(type=day["type"], start=parse_clock_time(day["from"]), end=parse_clock_time(day["to"]))
            for day in raw.get("days") or []
        )
        intervals = tuple(
            Interval(start=parse_datetime(item["from"]), end=parse_datetime(item["to"]))
            for item in raw.get("intervals") or []
        )
        return cls(days=days, intervals=intervals)


def format_offset(offset: int) -> str:
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def parse_clock_time(value: str) -> ClockTime:
    """`HH:MM[:SS]±HH:MM`. Raises ValueError with a sentence a client can act on."""
    match = _TIME.match(value)
    if match is None:
        raise ValueError("The time must be in the HH:MM[:SS]±HH:MM format, e.g. 10:00+01:00")
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError("The time is not a valid time of day")
    offset = _offset_seconds(match[4], int(match[5]), int(match[6]))
    return ClockTime(seconds=hours * 3600 + minutes * 60 + seconds, offset=offset)


def parse_datetime(value: str) -> datetime:
    """An ISO 8601 date and time with a UTC offset: `2000-02-12T10:00:00+01:00` (or `Z`)."""
    if _DATETIME.match(value) is None:
        raise ValueError(
            "The value must be an ISO 8601 date and time with an offset, e.g. 2000-02-12T10:00:00+01:00"
        )
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("The value is not a valid date and time") from None
    offset = moment.utcoffset()
    assert offset is not None  # the pattern requires one
    if not MIN_OFFSET_SECONDS <= offset.total_seconds() <= MAX_OFFSET_SECONDS:
        raise ValueError("The UTC offset must be between -12:00 and +14:00")
    return moment


def _offset_seconds(sign: str, hours: int, minutes: int) -> int:
    if minutes > 59:
        raise ValueError("The UTC offset is not valid")
    offset = (hours * 3600 + minutes * 60) * (1 if sign == "+" else -1)
    if not MIN_OFFSET_SECONDS <= offset <= MAX_OFFSET_SECONDS:
        raise ValueError("The UTC offset must be between -12:00 and +14:00")
    return offset


def offset_delta(offset: int) -> timedelta:
    return timedelta(seconds=offset)
