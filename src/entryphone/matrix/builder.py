"""Build the grid of one switch from its first flat, capacity and numbering convention."""

from __future__ import annotations

from entryphone import vocabulary
from entryphone.errors import ValidationFailed

# The highest flat number anywhere (flat ranges, matrices, codes): well above any real building.
MAX_FLAT = 99_999


def generate_grid(flat_from: int, capacity: int, is_last_item_first: bool, units: int) -> list[list[int]]:
    """Flats flat_from .. flat_from+capacity-1 in rows of `units` (row = tens line, column = units line).

    With `is_last_item_first` the last flat takes the first cell (the "100 is wired as 00" convention):
    flat_from=1, capacity=20 -> [[20, 1, ..., 9], [10, ..., 19]].
    """
    if capacity <= 0 or units <= 0 or capacity % units:
        raise ValueError("capacity must be a positive whole number of rows")
    flats = list(range(flat_from, flat_from + capacity))
    if is_last_item_first:
        flats = flats[-1:] + flats[:-1]
    return [flats[start : start + units] for start in range(0, capacity, units)]


def build_matrix(
    switch: str, capacity: int, flat_from: int, is_last_item_first: bool, *, path: str = ""
) -> list[list[int]]:
    """The grid of one switch of type `switch`; ValidationFailed (keys prefixed by `path`) when the
    switch is unknown or the capacity is not a whole number of its rows up to its maximum."""
    switch_type = vocabulary.switch_type(switch)
    if switch_type is None:
        raise ValidationFailed.one("switch", "The selected switch is invalid.")
    if capacity not in switch_type.capacities:
        allowed = ", ".join(str(value) for value in switch_type.capacities)
        raise ValidationFailed.one(
            f"{path}capacity", f"The capacity must be one of {allowed} for the {switch_type.label} switch."
        )
    if flat_from < 1 or flat_from + capacity - 1 > MAX_FLAT:
        raise ValidationFailed.one(
            f"{path}flat_from", f"The flat_from must be at least 1 and the last flat at most {MAX_FLAT}."
        )
    return generate_grid(flat_from, capacity, is_last_item_first, switch_type.units)
