"""Where a flat is wired: the lookup device drivers use."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple


class Cell(NamedTuple):
    """A flat's place: switch (the matrix element's `id`), tens line (row) and units line (column),
    both 0-based positions in the switch's grid."""

    switch: int
    tens: int
    units: int


def cell_of(matrix: Sequence[Mapping[str, Any]] | None, flat: int) -> Cell | None:
    """The cell `flat` is wired to in a stored (validated) matrix, or None when it is not wired."""
    for element in matrix or ():
        for tens, row in enumerate(element.get("items") or ()):
            for units, value in enumerate(row):
                if value == flat and flat > 0:
                    return Cell(int(element["id"]), tens, units)
    return None


def wired_flats(matrix: Iterable[Mapping[str, Any]] | None) -> set[int]:
    """Every flat number a stored matrix wires (0 marks an empty cell)."""
    return {
        value
        for element in matrix or ()
        for row in element.get("items") or ()
        for value in row
        if isinstance(value, int) and value > 0
    }
