"""Input types shared by every surface. Bounds here are what keep bad input out of the database
(PostgreSQL rejects NUL in text and integers beyond BIGINT; both would otherwise be a 500)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

MAX_DB_INT = 2_147_483_647
MAX_ID = 2**53 - 1  # the largest integer a JavaScript client can hold exactly


def _no_control_chars(value: str) -> str:
    if any(ord(char) < 32 and char not in "\t\n\r" for char in value) or "\x7f" in value:
        raise ValueError("The value must not contain control characters")
    return value


def _strict_bool(value: object) -> object:
    """Accept JSON booleans and the strings/ints Laravel's `boolean` rule accepts; nothing else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false", "1", "0"}:
        return value.lower() in {"true", "1"}
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError("The field must be true or false")


Id = Annotated[int, Field(ge=1, le=MAX_ID, strict=True)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Int = Annotated[int, Field(ge=-MAX_DB_INT, le=MAX_DB_INT, strict=True)]
NonNegativeInt = Annotated[int, Field(ge=0, le=MAX_DB_INT, strict=True)]
Bool = Annotated[bool, BeforeValidator(_strict_bool)]
Text = Annotated[str, StringConstraints(max_length=255), AfterValidator(_no_control_chars)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(_no_control_chars),
]
LongText = Annotated[str, StringConstraints(max_length=4096), AfterValidator(_no_control_chars)]
SearchText = Annotated[str, StringConstraints(max_length=255), AfterValidator(_no_control_chars)]
