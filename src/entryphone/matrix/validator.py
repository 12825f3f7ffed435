"""Check a matrix against its switch and the house, and fill in the elements marked `auto`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from entryphone import vocabulary
from entryphone.errors import ValidationFailed
from entryphone.matrix.builder import MAX_FLAT, generate_grid

Fail = Callable[[str, str], None]

# One matrix element per switch; panels take at most a few (Sokol 3, KKM-108 8 blocks).
MAX_COMMUTATORS = 8


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_matrix(
    elements: Sequence[Mapping[str, Any]],
    *,
    switch: str | None,
    commutators_count: int | None,
    taken: Mapping[int, str] | None = None,
) -> list[dict[str, Any]]:
    """Validate a whole matrix and return it normalised (every element with its items).

    - one element per commutator (`commutators_count`), ids unique positive integers;
    - `auto: true` elements are generated from flat_from / capacity / is_last_item_first;
    - explicit `items` must match the switch geometry (capacity / units rows of `units` cells),
      hold integers only (0 = an unwired cell, flats 1..MAX_FLAT), and no flat twice within or
      across switches;
    - `taken` maps flats wired on other intercoms of the same house to a description of where;
      such a flat is refused at its cell path (e.g. `matrix.1.items.0.3`).
    Raises ValidationFailed with every problem found, keyed by dot paths.
    """
    errors: dict[str, list[str]] = {}

    def fail(path: str, message: str) -> None:
        errors.setdefault(path, []).append(message)

    if not elements:
        return []
    switch_type = vocabulary.switch_type(switch)
    if switch_type is None:
        raise ValidationFailed.one("switch", "The switch field is required when a matrix is set.")
    if len(elements) > MAX_COMMUTATORS:
        raise ValidationFailed.one("matrix", f"The matrix may have at most {MAX_COMMUTATORS} elements.")
    if commutators_count is None:
        fail("matrix", "The matrix needs commutators_count: one element per switch.")
    elif len(elements) != commutators_count:
        fail(
            "matrix",
            f"The matrix must have one element per switch: {commutators_count} for commutators_count "
            f"{commutators_count}, not {len(elements)}.",
        )

    seen_ids: set[int] = set()
    seen_flats: dict[int, str] = {}
    taken = taken or {}
    result: list[dict[str, Any]] = []
    for index, element in enumerate(elements):
        path = f"matrix.{index}"
        element_id = element.get("id")
        if (
            not isinstance(element_id, int)
            or isinstance(element_id, bool)
            or not 1 <= element_id <= MAX_COMMUTATORS
        ):
            fail(f"{path}.id", f"The id must be an integer from 1 to {MAX_COMMUTATORS}.")
        elif element_id in seen_ids:
            fail(f"{path}.id", f"The switch id {element_id} appears twice in the matrix.")
        else:
            seen_ids.add(element_id)
        capacity = element.get("capacity")
        if not _is_int(capacity) or capacity not in switch_type.capacities:
            allowed = ", ".join(str(value) for value in switch_type.capacities)
            fail(
                f"{path}.capacity",
                f"The capacity must be one of {allowed} for the {switch_type.label} switch.",
            )
            continue
        auto = element.get("auto") is True
        is_last_item_first = element.get("is_last_item_first") is True
        flat_from = element.get("flat_from")
        if flat_from is not None and (
            not _is_int(flat_from) or not 1 <= flat_from <= MAX_FLAT - capacity + 1
        ):
            fail(
                f"{path}.flat_from", f"The flat_from must be an integer from 1 to {MAX_FLAT - capacity + 1}."
            )
            continue
        if auto:
            if flat_from is None:
                fail(f"{path}.flat_from", "The flat_from field is required when auto is true.")
                continue
            items: list[list[int]] = generate_grid(flat_from, capacity, is_last_item_first, switch_type.units)
        else:
            checked = _check_grid(element.get("items"), capacity, switch_type.units, f"{path}.items", fail)
            if checked is None:
                continue
            items = checked
        for tens, row in enumerate(items):
            for units, flat in enumerate(row):
                if flat == 0:
                    continue
                cell = f"{path}.items.{tens}.{units}"
                if flat in seen_flats:
                    fail(cell, f"The flat {flat} is wired twice (also at {seen_flats[flat]}).")
                elif flat in taken:
                    fail(cell, f"The flat {flat} is already wired on {taken[flat]} of the same house.")
                seen_flats.setdefault(flat, cell)
        wired = [flat for row in items for flat in row if flat]
        result.append(
            {
                "id": element_id,
                "auto": auto,
                "capacity": capacity,
                "flat_from": flat_from if flat_from is not None else (min(wired) if wired else None),
                "is_last_item_first": is_last_item_first,
                "items": items,
            }
        )
    if errors:
        raise ValidationFailed(errors)
    return result


def _check_grid(items: object, capacity: int, units: int, path: str, fail: Fail) -> list[list[int]] | None:
    if items is None:
        fail(path, "The items field is required when auto is false.")
        return None
    rows = capacity // units
    if not isinstance(items, list) or len(items) != rows:
        fail(path, f"The items must be {rows} rows of {units} flats (capacity {capacity}).")
        return None
    ok = True
    for tens, row in enumerate(items):
        if not isinstance(row, list) or len(row) != units:
            fail(f"{path}.{tens}", f"Each row must hold exactly {units} flats.")
            ok = False
            continue
        for position, flat in enumerate(row):
            if not _is_int(flat) or not 0 <= flat <= MAX_FLAT:
                fail(f"{path}.{tens}.{position}", f"Each cell must be a flat number from 0 to {MAX_FLAT}.")
                ok = False
    return [list(row) for row in items] if ok else None
