from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, JsonType, UtcDateTime, utcnow


class DeviceEventRecord(Base):
    """The event journal: every device event, stored once (unique per intercom by dedupe key)."""

    __tablename__ = "device_events"
    __table_args__ = (
        UniqueConstraint("intercom_id", "dedupe_key", name="uq_device_events_intercom_id"),
        Index("ix_device_events_intercom_occurred", "intercom_id", "occurred_at"),
        Index("ix_device_events_kind", "kind"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    intercom_id: Mapped[int] = mapped_column(ForeignKey("intercoms.id", ondelete="CASCADE"))
    # Survives device restarts (device ids start again at 1): see docs/devices/2n.md.
    dedupe_key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    device_event_id: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    params: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
