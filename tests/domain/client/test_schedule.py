"""The call-schedule rule, by example and by property across time zones and midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entryphone.schedule.rule import DeviceSchedule, ringing_devices, rings, window_contains
from entryphone.schedule.timetable import (
    SAME_EVERY_DAY,
    WEEKDAYS,
    ClockTime,
    DayWindow,
    Interval,
    Timetable,
    parse_clock_time,
    parse_datetime,
)

offsets = st.integers(min_value=-12 * 4, max_value=14 * 4).map(lambda quarters: quarters * 900)
seconds_of_day = st.integers(min_value=0, max_value=86_399)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))
day_types = st.sampled_from([*WEEKDAYS, SAME_EVERY_DAY])


def window(kind: str, start: int, end: int, offset: int, end_offset: int | None = None) -> DayWindow:
    return DayWindow(
        type=kind,
        start=ClockTime(seconds=start, offset=offset),
        end=ClockTime(seconds=end, offset=offset if end_offset is None else end_offset),
    )


def schedule(*days: DayWindow, intervals: tuple[Interval, ...] = (), enabled: bool = True) -> DeviceSchedule:
    return DeviceSchedule(is_enabled=enabled, timetable=Timetable(days=days, intervals=intervals))


def local_second(at: datetime, offset: int) -> tuple[str, int]:
    local = at.astimezone(timezone(timedelta(seconds=offset)))
    return WEEKDAYS[local.weekday()], local.hour * 3600 + local.minute * 60 + local.second


# --- examples (the ones docs/domain/schedule.md gives) ----------------------------------------------


def test_documented_examples() -> None:
    weekdays_office = schedule(window("monday", 10 * 3600, 18 * 3600, 3600))
    monday_noon_paris = datetime(2024, 1, 1, 11, 0, tzinfo=UTC)  # 12:00+01:00, a Monday
    assert rings(weekdays_office, monday_noon_paris)
    assert not rings(weekdays_office, monday_noon_paris + timedelta(days=1))
    assert not rings(weekdays_office, datetime(2024, 1, 1, 17, 0, 1, tzinfo=UTC))  # 18:00:01+01:00

    night = schedule(window("friday", 22 * 3600, 6 * 3600, 0))
    assert rings(night, datetime(2024, 1, 5, 23, 0, tzinfo=UTC))  # Friday 23:00
    assert rings(night, datetime(2024, 1, 6, 5, 59, tzinfo=UTC))  # Saturday 05:59
    assert not rings(night, datetime(2024, 1, 5, 5, 0, tzinfo=UTC))  # Friday 05:00 belongs to Thursday
    assert not rings(night, datetime(2024, 1, 6, 22, 30, tzinfo=UTC))  # Saturday evening

    holiday = schedule(
        intervals=(
            Interval(
                parse_datetime("2024-07-01T00:00:00+02:00"), parse_datetime("2024-07-14T23:59:59+02:00")
            ),
        )
    )
    assert rings(holiday, datetime(2024, 7, 10, 3, 0, tzinfo=UTC))
    assert not rings(holiday, datetime(2024, 7, 15, 3, 0, tzinfo=UTC))

    assert rings(None, monday_noon_paris)
    assert not rings(schedule(enabled=False), monday_noon_paris)
    assert rings(schedule(), monday_noon_paris)  # enabled, no windows: no time limit


def test_ringing_devices_keeps_order_and_rings_devices_without_schedule() -> None:
    at = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    schedules = {"phone-b": schedule(enabled=False), "phone-c": schedule(window(SAME_EVERY_DAY, 0, 3600, 0))}
    assert ringing_devices(["phone-a", "phone-b", "phone-c"], schedules, at) == ["phone-a"]


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError):
        rings(None, datetime(2024, 1, 1, 12, 0))


@pytest.mark.parametrize(
    "value", ["10:00", "25:00+01:00", "10:60+01:00", "10:00+15:00", "1000+0100", "10:00:00:00+01:00"]
)
def test_bad_times_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_clock_time(value)


@pytest.mark.parametrize(
    "value",
    [
        "2001-02-12T10:00:00:00+01:00",
        "2001-02-12T10:00:00",
        "2001-02-30T10:00:00+01:00",
        "2001-02-12 10:00+01:00",
    ],
)
def test_bad_datetimes_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(value)


def test_wire_form_round_trips() -> None:
    timetable = Timetable(
        days=(
            window("tuesday", 0, 86_399, 5 * 3600),
            window(SAME_EVERY_DAY, 79_200, 21_600, -3 * 3600 - 1800),
        ),
        intervals=(
            Interval(parse_datetime("2000-02-12T10:00:00+01:00"), parse_datetime("2000-12-01T09:00:00Z")),
        ),
    )
    assert timetable.to_json()["days"][0] == {
        "type": "tuesday",
        "from": "00:00:00+05:00",
        "to": "23:59:59+05:00",
    }
    assert Timetable.from_json(timetable.to_json()) == timetable


# --- properties -------------------------------------------------------------------------------------


@given(instants, offsets, day_types, seconds_of_day, seconds_of_day, offsets)
def test_the_instant_s_own_zone_does_not_matter(
    at: datetime, offset: int, kind: str, start: int, end: int, viewer: int
) -> None:
    rule = window(kind, start, end, offset)
    assert window_contains(rule, at) == window_contains(
        rule, at.astimezone(timezone(timedelta(seconds=viewer)))
    )


@given(instants, offsets, day_types, seconds_of_day, seconds_of_day)
def test_a_window_matches_its_local_reading(
    at: datetime, offset: int, kind: str, start: int, end: int
) -> None:
    rule = window(kind, start, end, offset)
    weekday, second = local_second(at, offset)
    yesterday = WEEKDAYS[(WEEKDAYS.index(weekday) - 1) % 7]

    def on(day: str) -> bool:
        return kind in (SAME_EVERY_DAY, day)

    if start <= end:
        expected = on(weekday) and start <= second <= end
    else:
        expected = (on(weekday) and second >= start) or (on(yesterday) and second <= end)
    assert window_contains(rule, at) == expected


@given(instants, offsets, offsets, seconds_of_day, seconds_of_day)
def test_same_every_day_reads_the_same_in_any_offset(
    at: datetime, offset: int, other: int, start: int, end: int
) -> None:
    """An every-day window moved to another offset (its clock times shifted) covers the same instants."""
    shift = other - offset
    moved = window(SAME_EVERY_DAY, (start + shift) % 86_400, (end + shift) % 86_400, other)
    assert window_contains(window(SAME_EVERY_DAY, start, end, offset), at) == window_contains(moved, at)


@given(instants, offsets, offsets, day_types, seconds_of_day, seconds_of_day)
def test_the_end_offset_is_converted_to_the_start_offset(
    at: datetime, offset: int, end_offset: int, kind: str, start: int, end: int
) -> None:
    same = window(kind, start, end, offset)
    rewritten_end = (end - offset + end_offset) % 86_400
    assert window_contains(window(kind, start, rewritten_end, offset, end_offset), at) == window_contains(
        same, at
    )


@given(instants, offsets, seconds_of_day, seconds_of_day)
def test_a_window_past_midnight_is_the_evening_plus_the_next_morning(
    at: datetime, offset: int, start: int, end: int
) -> None:
    if start <= end:
        start, end = end, start
    if start == end:
        return
    for index, day in enumerate(WEEKDAYS):
        wrapped = window(day, start, end, offset)
        evening = window(day, start, 86_399, offset)
        morning = window(WEEKDAYS[(index + 1) % 7], 0, end, offset)
        assert window_contains(wrapped, at) == (window_contains(evening, at) or window_contains(morning, at))


@given(instants, offsets, seconds_of_day, seconds_of_day)
def test_seven_weekday_windows_equal_one_every_day_window(
    at: datetime, offset: int, start: int, end: int
) -> None:
    every = window(SAME_EVERY_DAY, start, end, offset)
    week = schedule(*(window(day, start, end, offset) for day in WEEKDAYS))
    assert rings(week, at) == window_contains(every, at)


@given(instants, offsets)
def test_a_whole_day_window_always_rings_and_disabled_never(at: datetime, offset: int) -> None:
    assert rings(schedule(window(SAME_EVERY_DAY, 0, 86_399, offset)), at)
    assert not rings(schedule(window(SAME_EVERY_DAY, 0, 86_399, offset), enabled=False), at)


@given(instants, instants, instants, offsets)
def test_intervals_compare_instants_not_clock_readings(
    at: datetime, first: datetime, second: datetime, offset: int
) -> None:
    start, end = sorted((first, second))
    zone = timezone(timedelta(seconds=offset))
    only = schedule(intervals=(Interval(start.astimezone(zone), end.astimezone(zone)),))
    assert rings(only, at) == (start <= at <= end)
