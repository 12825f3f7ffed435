"""Check a matrix against its switch and the house, and fill in the elements marked `auto`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from entryphone import vocabulary
from entryphone.errors import ValidationFailed
from entryphone.matrix.builder import MAX_FLAT, generate_grid

Fail = Callable[[str, str], None]

# One matrix element per switch; panels take at most a few (Sokol 3, KKM-108 8 blocks).
MAX_COMMUTATORS = 8


@dataclass(frozen=True)
class MatrixElement:
    """One switch's element as typed by the request schema (or read back from the stored column):
    its types are already checked; `validate_matrix` checks what depends on the switch and the house."""

    id: int
    capacity: int
    auto: bool = False
    flat_from: int | None = None
    is_last_item_first: bool = False
    items: list[list[int]] | None = field(default=None)

    @classmethod
    def stored(cls, raw: Mapping[str, Any]) -> MatrixElement:
        """An element of the stored JSON column (written by `validate_matrix`, so well typed)."""
        return cls(
            id=int(raw["id"]),
            capacity=int(raw["capacity"]),
            auto=bool(raw.get("auto")),
            flat_from=raw.get("flat_from"),
            is_last_item_first=bool(raw.get("is_last_item_first")),
            items=[list(row) for row in raw["items"]] if raw.get("items") is not None else None,
        )


def repeated_flats(grids: Iterable[tuple[str, object]]) -> dict[str, list[str]]:
    """Flats wired twice across the given `(path, items)` grids, keyed by the cell of the second one.
    Takes raw grids too (cells that are not integers are skipped): the request schema runs it with
    its type checks, so a repeated flat and a malformed cell are reported in one reply."""
    errors: dict[str, list[str]] = {}
    seen: dict[int, str] = {}
    for path, items in grids:
        for tens, row in enumerate(items if isinstance(items, list) else ()):
            for units, flat in enumerate(row if isinstance(row, list) else ()):
                if not isinstance(flat, int) or isinstance(flat, bool) or flat == 0:
                    continue
                cell = f"{path}.{tens}.{units}"
                if flat in seen:
                    errors.setdefault(cell, []).append(
                        f"The flat {flat} is wired twice (also at {seen[flat]})."
                    )
                else:
                    seen[flat] = cell
    return errors


def validate_matrix(
    elements: Sequence[MatrixElement],
    *,
    switch: str | None,
    commutators_count: int | None,
    taken: Mapping[int, str] | None = None,
) -> list[dict[str, Any]]:
    """Validate a whole matrix and return it normalised (every element with its items), as stored.

    - one element per commutator (`commutators_count`), ids unique;
    - `auto: true` elements are generated from flat_from / capacity / is_last_item_first;
    - explicit `items` must match the switch geometry (capacity / units rows of `units` cells) and
      wire no flat twice within or across switches;
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
    grids: list[tuple[str, list[list[int]]]] = []
    result: list[dict[str, Any]] = []
    for index, element in enumerate(elements):
        path = f"matrix.{index}"
        if element.id in seen_ids:
            fail(f"{path}.id", f"The switch id {element.id} appears twice in the matrix.")
        seen_ids.add(element.id)
        capacity = element.capacity
        if capacity not in switch_type.capacities:
            allowed = ", ".join(str(value) for value in switch_type.capacities)
            fail(
                f"{path}.capacity",
                f"The capacity must be one of {allowed} for the {switch_type.label} switch.",
            )
            continue
        flat_from = element.flat_from
        if flat_from is not None and not 1 <= flat_from <= MAX_FLAT - capacity + 1:
            fail(
                f"{path}.flat_from", f"The flat_from must be an integer from 1 to {MAX_FLAT - capacity + 1}."
            )
            continue
        if element.auto:
            if flat_from is None:
                fail(f"{path}.flat_from", "The flat_from field is required when auto is true.")
                continue
            items = generate_grid(flat_from, capacity, element.is_last_item_first, switch_type.units)
        else:
            checked = _check_grid(element.items, capacity, switch_type.units, f"{path}.items", fail)
            if checked is None:
                continue
            items = checked
        grids.append((f"{path}.items", items))
        wired = [flat for row in items for flat in row if flat]
        result.append(
            {
                "id": element.id,
                "auto": element.auto,
                "capacity": capacity,
                "flat_from": flat_from if flat_from is not None else (min(wired) if wired else None),
                "is_last_item_first": element.is_last_item_first,
                "items": items,
            }
        )
    for cell, messages in repeated_flats(grids).items():
        errors.setdefault(cell, []).extend(messages)
    taken = taken or {}
    for path, items in grids:
        for tens, row in enumerate(items):
            for units, flat in enumerate(row):
                if flat and flat in taken:
                    where = taken[flat]
                    fail(
                        f"{path}.{tens}.{units}",
                        f"The flat {flat} is already wired on {where} of the same house.",
                    )
    if errors:
        raise ValidationFailed(errors)
    return result


def _check_grid(
    items: list[list[int]] | None, capacity: int, units: int, path: str, fail: Fail
) -> list[list[int]] | None:
    if items is None:
        fail(path, "The items field is required when auto is false.")
        return None
    rows = capacity // units
    if len(items) != rows:
        fail(path, f"The items must be {rows} rows of {units} flats (capacity {capacity}).")
        return None
    ok = True
    for tens, row in enumerate(items):
        if len(row) != units:
            fail(f"{path}.{tens}", f"Each row must hold exactly {units} flats.")
            ok = False
    return [list(row) for row in items] if ok else None
