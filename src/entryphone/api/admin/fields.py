"""Bounded input types of the admin surface beyond api/types.py."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from entryphone.api.types import Integer, _no_control_chars
from entryphone.intercoms.service import MAX_DEPARTMENT, MAX_DOOR_OPEN_TIME, MAX_DURATION, MAX_FLAT_OFFSET
from entryphone.matrix import MAX_FLAT

# Integers (and numeric strings, as Laravel's `integer` rule): the bounds the services enforce.
FlatNumber = Annotated[int, Integer(1, MAX_FLAT)]
Port = Annotated[int, Integer(1, 65535)]
FlatOffset = Annotated[int, Integer(0, MAX_FLAT_OFFSET)]
Department = Annotated[int, Integer(1, MAX_DEPARTMENT)]
DoorOpenTime = Annotated[int, Integer(1, MAX_DOOR_OPEN_TIME)]
Duration = Annotated[int, Integer(1, MAX_DURATION)]
SmallInt = Annotated[int, Integer(0, 1_000_000)]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=255), AfterValidator(_no_control_chars)]
Address = Annotated[str, StringConstraints(max_length=512), AfterValidator(_no_control_chars)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_no_control_chars)]
Word = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_no_control_chars)]
