from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, JsonType, UtcDateTime


class IntercomAlert(Base):
    """Something an administrator must look at: tamper, a door forced open or held open too long."""

    __tablename__ = "intercom_alerts"
    __table_args__ = (Index("ix_intercom_alerts_intercom_occurred", "intercom_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    intercom_id: Mapped[int] = mapped_column(ForeignKey("intercoms.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("device_events.id", ondelete="SET NULL"))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
