from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, JsonType, UtcDateTime


class DeviceState(Base):
    """What the supervisor knows about one intercom's device beyond the intercom record itself."""

    __tablename__ = "device_states"

    intercom_id: Mapped[int] = mapped_column(ForeignKey("intercoms.id", ondelete="CASCADE"), primary_key=True)
    last_event_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sync_status: Mapped[str | None] = mapped_column(String(16))  # ok | error | pending
    sync_message: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sync_cursor: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
