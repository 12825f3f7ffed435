from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, JsonType, UtcDateTime


class DeviceState(Base):
    """What the supervisor learns about one intercom's device, kept apart from the intercom record:
    writing it (a heartbeat every 30 s per online panel) never changes the intercom's updated_at.
    No row yet: offline, never seen."""

    __tablename__ = "device_states"

    intercom_id: Mapped[int] = mapped_column(ForeignKey("intercoms.id", ondelete="CASCADE"), primary_key=True)
    is_online: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_event_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sync_status: Mapped[str | None] = mapped_column(String(16))  # ok | error | pending
    sync_message: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sync_cursor: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    # The last provisioning of the panel's SIP account, DTMF codes and call limits.
    sip_sync_status: Mapped[str | None] = mapped_column(String(16))  # ok | failed
    sip_sync_message: Mapped[str | None] = mapped_column(Text)
    sip_synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
