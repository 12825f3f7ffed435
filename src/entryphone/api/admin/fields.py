"""Bounded input types of the admin surface beyond api/types.py."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from entryphone.api.types import _no_control_chars
from entryphone.matrix import MAX_FLAT


def _numeric_string_to_int(value: object) -> object:
    """The platform's own examples send some integers as strings ("flat_offset": "1")."""
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 9:
        return int(value.strip())
    return value


FlatNumber = Annotated[int, Field(ge=1, le=MAX_FLAT, strict=True)]
Port = Annotated[int, BeforeValidator(_numeric_string_to_int), Field(ge=1, le=65535, strict=True)]
IntOrNumericString = Annotated[
    int, BeforeValidator(_numeric_string_to_int), Field(ge=0, le=MAX_FLAT, strict=True)
]
SmallInt = Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=255), AfterValidator(_no_control_chars)]
Address = Annotated[str, StringConstraints(max_length=512), AfterValidator(_no_control_chars)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_no_control_chars)]
Word = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_no_control_chars)]
