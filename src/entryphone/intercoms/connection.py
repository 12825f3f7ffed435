"""What commanding an intercom's device needs of its record, without loading the whole record.

A door open reads just these columns (a Core statement): loading a whole `Intercom` through the ORM
costs far more CPU than the row. Everything that reaches a device (fleet/access.py,
fleet/commands.py, doors/service.py) takes an `IntercomConnection`: an `Intercom` or a
`ConnectionRow`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from entryphone.models import Intercom

# The columns a ConnectionRow is read from.
COLUMNS = (
    Intercom.id,
    Intercom.vendor,
    Intercom.schema,
    Intercom.ip,
    Intercom.port,
    Intercom.login,
    Intercom.password_encrypted,
    Intercom.tls_fingerprint,
    Intercom.tls_allow_self_signed,
    Intercom.door_open_time_general,
)


@dataclass(frozen=True, slots=True)
class ConnectionRow:
    """An IntercomConnection read as a plain row (the columns of COLUMNS)."""

    id: int
    vendor: str
    schema: str | None
    ip: str | None
    port: int | None
    login: str | None
    password_encrypted: str | None = field(repr=False)  # never in a log line, even encrypted
    tls_fingerprint: str | None
    tls_allow_self_signed: bool
    door_open_time_general: int | None

    @classmethod
    def of(cls, row: Sequence[Any]) -> ConnectionRow:
        """From a row whose first columns are COLUMNS (booleans may come back as 0/1)."""
        values = dict(zip(_NAMES, row, strict=False))
        values["tls_allow_self_signed"] = bool(values["tls_allow_self_signed"])
        return cls(**values)


_NAMES = tuple(column.key for column in COLUMNS)


# How to reach the intercom's device, and how long its door stays open by default: the whole record
# or just those columns.
IntercomConnection = Intercom | ConnectionRow
