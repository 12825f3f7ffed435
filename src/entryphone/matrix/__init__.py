"""The coordinate matrix: which flat is wired to which (tens, units) cell of which switch.

Pure functions, no I/O: the admin API, the intercom service and the device drivers all use them.
`cell_of` is the single answer to "where is flat N wired" (docs/domain/matrix.md).
"""

from entryphone.matrix.builder import MAX_FLAT, build_matrix, generate_grid
from entryphone.matrix.cells import Cell, cell_of, wired_flats
from entryphone.matrix.validator import MAX_COMMUTATORS, MatrixElement, repeated_flats, validate_matrix

__all__ = [
    "MAX_COMMUTATORS",
    "MAX_FLAT",
    "Cell",
    "MatrixElement",
    "build_matrix",
    "cell_of",
    "generate_grid",
    "repeated_flats",
    "validate_matrix",
    "wired_flats",
]
