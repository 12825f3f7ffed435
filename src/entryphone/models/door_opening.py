from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, UtcDateTime


class DoorOpening(Base):
    """The door opened for someone at the panel: a valid key or code, or a relay's DTMF code sent by
    the phone that answered a call (from the panel's events).
    Openings from the apps and admins are the door_open_requests that succeeded."""

    __tablename__ = "door_openings"
    __table_args__ = (Index("ix_door_openings_intercom_opened", "intercom_id", "opened_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    intercom_id: Mapped[int] = mapped_column(ForeignKey("intercoms.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))  # key | code | dtmf
    credential: Mapped[str] = mapped_column(String(32))  # the key's UID or the code typed (or sent)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("device_events.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # DTMF: the call during which the phone sent the code, and that phone (X-UUID) when known.
    call_id: Mapped[int | None] = mapped_column(ForeignKey("intercom_calls.id", ondelete="SET NULL"))
    device_uuid: Mapped[str | None] = mapped_column(String(191))
