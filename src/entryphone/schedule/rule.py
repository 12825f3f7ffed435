"""Which devices ring: the rule documented in docs/domain/schedule.md. Pure: callers pass the instant."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from entryphone.schedule.timetable import (
    SAME_EVERY_DAY,
    SECONDS_PER_DAY,
    WEEKDAYS,
    DayWindow,
    Interval,
    Timetable,
)


@dataclass(frozen=True)
class DeviceSchedule:
    """What one device (X-UUID) of one resident set for one intercom."""

    is_enabled: bool = True
    timetable: Timetable = field(default_factory=Timetable)


def window_contains(window: DayWindow, at: datetime) -> bool:
    """Is `at` inside the window, read in the window's own UTC offset (that of its start)?"""
    _require_aware(at)
    local = at.astimezone(timezone(timedelta(seconds=window.start.offset)))
    second_of_day = local.hour * 3600 + local.minute * 60 + local.second
    start = window.start.seconds
    # The end may be written with another offset: bring it to the start's offset first.
    end = (window.end.seconds - window.end.offset + window.start.offset) % SECONDS_PER_DAY
    today = WEEKDAYS[local.weekday()]
    yesterday = WEEKDAYS[(local.weekday() - 1) % 7]
    if start <= end:
        return _applies(window, today) and start <= second_of_day <= end
    # Past midnight: the evening part belongs to the window's day, the morning part to the day after.
    return (_applies(window, today) and second_of_day >= start) or (
        _applies(window, yesterday) and second_of_day <= end
    )


def interval_contains(interval: Interval, at: datetime) -> bool:
    _require_aware(at)
    return interval.start <= at <= interval.end


def rings(schedule: DeviceSchedule | None, at: datetime) -> bool:
    """A device without a schedule always rings; a disabled one never does; an enabled one rings
    inside one of its day windows or intervals (an empty timetable places no time limit)."""
    _require_aware(at)
    if schedule is None:
        return True
    if not schedule.is_enabled:
        return False
    timetable = schedule.timetable
    if timetable.is_empty:
        return True
    return any(window_contains(day, at) for day in timetable.days) or any(
        interval_contains(interval, at) for interval in timetable.intervals
    )


def ringing_devices(
    devices: Iterable[str], schedules: Mapping[str, DeviceSchedule], at: datetime
) -> list[str]:
    """Of `devices` (device ids, in order), those that ring at `at`; `schedules` holds the ones set."""
    return [device for device in devices if rings(schedules.get(device), at)]


def _applies(window: DayWindow, weekday: str) -> bool:
    return window.type in (SAME_EVERY_DAY, weekday)


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the instant must be timezone-aware")
