from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, UtcDateTime


class DoorOpening(Base):
    """The door opened for someone at the panel: a valid key or code (from the panel's events).
    Openings from the apps and admins are the door_open_requests that succeeded."""

    __tablename__ = "door_openings"
    __table_args__ = (Index("ix_door_openings_intercom_opened", "intercom_id", "opened_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    intercom_id: Mapped[int] = mapped_column(ForeignKey("intercoms.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))  # key | code
    credential: Mapped[str] = mapped_column(String(32))  # the key's UID or the code typed
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("device_events.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
