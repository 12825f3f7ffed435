"""Bounded input types of the admin surface beyond api/types.py."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from entryphone.api.types import NO_CONTROL_CHARS, Integer
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
Secret = Annotated[str, StringConstraints(min_length=1, max_length=255), *NO_CONTROL_CHARS]
Address = Annotated[str, StringConstraints(max_length=512), *NO_CONTROL_CHARS]
Key = Annotated[str, StringConstraints(min_length=1, max_length=64), *NO_CONTROL_CHARS]
Word = Annotated[str, StringConstraints(min_length=1, max_length=64), *NO_CONTROL_CHARS]
