"""Properties the domain tests (tests/domain/admin/test_matrix.py, tests/domain/client/test_schedule.py)
do not state: whatever JSON a client sends, the matrix validator and the schedule parsers refuse it
with their own error (never another exception, so never a 500), and a grid with a flat wired twice
is always refused."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from entryphone import vocabulary
from entryphone.errors import ValidationFailed
from entryphone.matrix import MatrixElement, build_matrix, validate_matrix
from entryphone.schedule.timetable import parse_clock_time, parse_datetime

# Typed elements, as the signature says (the API's request schema guarantees that much: its bounds).
cells = st.integers(0, 99_999)
elements = st.lists(
    st.builds(
        MatrixElement,
        id=st.integers(1, 8),
        capacity=st.integers(1, 1000),
        auto=st.booleans(),
        flat_from=st.none() | st.integers(1, 99_999),
        is_last_item_first=st.booleans(),
        items=st.none() | st.lists(st.lists(cells, max_size=12), max_size=24),
    ),
    max_size=4,
)
switch_keys = st.sampled_from([switch.key for switch in vocabulary.SWITCH_TYPES])


@settings(max_examples=100, deadline=None)
@given(
    elements,
    st.one_of(st.none(), switch_keys, st.text(max_size=8)),
    st.one_of(st.none(), st.integers(-3, 40)),
)
def test_any_matrix_is_accepted_or_refused_with_paths(elements: list[Any], switch: Any, count: Any) -> None:
    try:
        validate_matrix(elements, switch=switch, commutators_count=count)
    except ValidationFailed as failure:
        assert failure.errors and all(
            isinstance(key, str) and messages for key, messages in failure.errors.items()
        )


@settings(max_examples=100, deadline=None)
@given(switch_keys, st.data())
def test_a_flat_wired_twice_is_always_refused(key: str, data: st.DataObject) -> None:
    switch = vocabulary.switch_type(key)
    assert switch is not None
    capacity = data.draw(st.sampled_from(switch.capacities))
    grid = build_matrix(key, capacity, data.draw(st.integers(1, 5000)), data.draw(st.booleans()))
    cells = [(row, column) for row in range(len(grid)) for column in range(len(grid[row]))]
    source, target = data.draw(st.lists(st.sampled_from(cells), min_size=2, max_size=2, unique=True))
    grid[target[0]][target[1]] = grid[source[0]][source[1]]
    try:
        validate_matrix([MatrixElement(id=1, capacity=capacity, items=grid)], switch=key, commutators_count=1)
    except ValidationFailed:
        return
    raise AssertionError(f"a duplicated flat was accepted: {grid}")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40) | st.from_regex(r"\A[0-9]{1,3}:[0-9]{1,3}(:[0-9]{1,3})?[+-][0-9]{2}:[0-9]{2}\Z"))
def test_any_clock_time_parses_or_says_why(value: str) -> None:
    try:
        parsed = parse_clock_time(value)
    except ValueError as error:
        assert str(error)
        return
    assert 0 <= parsed.seconds < 24 * 3600


@settings(max_examples=100, deadline=None)
@given(
    st.text(max_size=40)
    | st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2}|Z)\Z")
)
def test_any_datetime_parses_or_says_why(value: str) -> None:
    try:
        parsed = parse_datetime(value)
    except ValueError as error:
        assert str(error)
        return
    assert parsed.utcoffset() is not None
