"""How timestamps are written on the wire. The platform uses two forms; both are UTC here."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime | None) -> str | None:
    """Laravel's JSON form: 2023-12-22T00:00:00.000000Z (client API, codes, users)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def plain(moment: datetime | None) -> str | None:
    """The admin objects' form: 2023-01-05 10:42:12 (UTC)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
