"""The coordinate matrix as pure functions: documented examples and properties."""

# ruff: noqa: E501 (the parametrised tables keep one case per line)

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entryphone import vocabulary
from entryphone.errors import ValidationFailed
from entryphone.matrix import MatrixElement, build_matrix, cell_of, validate_matrix, wired_flats


def validate(elements: list[dict[str, Any]], **rules: Any) -> list[dict[str, Any]]:
    """The validator takes the request schema's typed elements (cell types are the schema's rule)."""
    return validate_matrix([MatrixElement(**element) for element in elements], **rules)


def test_documented_common_matrix_example() -> None:
    assert build_matrix("metakom", 20, 1, True) == [[20, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, *range(11, 20)]]


def test_is_last_item_first_off_is_plain_order() -> None:
    assert build_matrix("metakom", 20, 1, False) == [list(range(1, 11)), list(range(11, 21))]


def test_factorial_8x8() -> None:
    grid = build_matrix("factorial", 64, 1, True)
    assert len(grid) == 8 and all(len(row) == 8 for row in grid)
    assert grid[0] == [64, 1, 2, 3, 4, 5, 6, 7]
    assert grid[7] == list(range(56, 64))


def test_two_switches_and_cell_of() -> None:
    matrix = validate(
        [
            {"id": 1, "auto": True, "capacity": 100, "flat_from": 1, "is_last_item_first": True},
            {"id": 2, "auto": True, "capacity": 100, "flat_from": 101, "is_last_item_first": True},
        ],
        switch="vizit",
        commutators_count=2,
    )
    assert cell_of(matrix, 57) == (1, 5, 7)
    assert cell_of(matrix, 157) == (2, 5, 7)
    assert cell_of(matrix, 200) == (2, 0, 0)
    assert cell_of(matrix, 201) is None
    assert wired_flats(matrix) == set(range(1, 201))


@pytest.mark.parametrize(
    ("elements", "commutators", "path"),
    [
        ([{"id": 1, "capacity": 20, "auto": True, "flat_from": 1}], 2, "matrix"),
        ([{"id": 1, "capacity": 25, "auto": True, "flat_from": 1}], 1, "matrix.0.capacity"),
        ([{"id": 1, "capacity": 20, "auto": False}], 1, "matrix.0.items"),
        ([{"id": 1, "capacity": 20, "auto": True}], 1, "matrix.0.flat_from"),
        ([{"id": 1, "capacity": 20, "auto": False, "items": [list(range(1, 11))]}], 1, "matrix.0.items"),
        ([{"id": 1, "capacity": 20, "auto": False, "items": [list(range(1, 11)), list(range(11, 20))]}], 1,
         "matrix.0.items.1"),
        ([{"id": 1, "capacity": 20, "auto": False, "items": [list(range(1, 11)), [11, 12, 3, *range(14, 21)]]}],
         1, "matrix.0.items.1.2"),
        (
            [
                {"id": 1, "capacity": 20, "auto": True, "flat_from": 1},
                {"id": 1, "capacity": 20, "auto": True, "flat_from": 21},
            ],
            2,
            "matrix.1.id",
        ),
        (
            [
                {"id": 1, "capacity": 20, "auto": True, "flat_from": 1},
                {"id": 2, "capacity": 20, "auto": False, "items": [[1, *range(22, 31)], list(range(31, 41))]},
            ],
            2,
            "matrix.1.items.0.0",
        ),
    ],
)  # fmt: skip
def test_each_rule_names_its_path(elements: list[dict[str, object]], commutators: int, path: str) -> None:
    with pytest.raises(ValidationFailed) as failure:
        validate(elements, switch="metakom", commutators_count=commutators)
    assert path in failure.value.errors, failure.value.errors


def test_flat_of_another_intercom_in_the_house_is_refused_at_its_cell() -> None:
    with pytest.raises(ValidationFailed) as failure:
        validate(
            [{"id": 1, "capacity": 20, "auto": False, "items": [list(range(1, 11)), list(range(11, 21))]}],
            switch="metakom",
            commutators_count=1,
            taken={4: 'intercom 9 "Entrance 1"'},
        )
    assert list(failure.value.errors) == ["matrix.0.items.0.3"]


def test_unknown_switch_and_bad_capacity_in_builder() -> None:
    with pytest.raises(ValidationFailed) as failure:
        build_matrix("nope", 20, 1, True)
    assert "switch" in failure.value.errors
    with pytest.raises(ValidationFailed) as failure:
        build_matrix("factorial", 20, 1, True)
    assert "capacity" in failure.value.errors


switch_keys = st.sampled_from([switch.key for switch in vocabulary.SWITCH_TYPES])


@st.composite
def switch_setups(draw: st.DrawFn) -> tuple[str, int, int, bool]:
    key = draw(switch_keys)
    switch = vocabulary.switch_type(key)
    assert switch is not None
    capacity = draw(st.sampled_from(switch.capacities))
    return key, capacity, draw(st.integers(1, 5000)), draw(st.booleans())


@given(switch_setups())
def test_built_grid_matches_geometry_and_holds_each_flat_once(setup: tuple[str, int, int, bool]) -> None:
    key, capacity, flat_from, last_first = setup
    units, _rows, _max = vocabulary.switch_geometry(key)
    grid = build_matrix(key, capacity, flat_from, last_first)
    assert len(grid) == capacity // units and all(len(row) == units for row in grid)
    assert sorted(flat for row in grid for flat in row) == list(range(flat_from, flat_from + capacity))


@given(switch_setups())
def test_cell_of_inverts_the_grid(setup: tuple[str, int, int, bool]) -> None:
    key, capacity, flat_from, last_first = setup
    matrix = validate(
        [
            {
                "id": 1,
                "auto": True,
                "capacity": capacity,
                "flat_from": flat_from,
                "is_last_item_first": last_first,
            }
        ],
        switch=key,
        commutators_count=1,
    )
    grid = matrix[0]["items"]
    for tens, row in enumerate(grid):
        for units, flat in enumerate(row):
            assert cell_of(matrix, flat) == (1, tens, units)
    if last_first:
        assert grid[0][0] == flat_from + capacity - 1  # the last flat takes the first cell
    else:
        assert grid[0][0] == flat_from


@given(switch_setups())
def test_validating_an_explicit_copy_of_a_built_grid_accepts_it(setup: tuple[str, int, int, bool]) -> None:
    key, capacity, flat_from, last_first = setup
    grid = build_matrix(key, capacity, flat_from, last_first)
    matrix = validate(
        [{"id": 1, "auto": False, "capacity": capacity, "items": grid}], switch=key, commutators_count=1
    )
    assert matrix[0]["items"] == grid
