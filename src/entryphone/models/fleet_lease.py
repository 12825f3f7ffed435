from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, UtcDateTime


class FleetLease(Base):
    """Which supervisor node watches an intercom, until when. A lease not renewed expires and any
    live node takes the intercom over."""

    __tablename__ = "fleet_leases"

    intercom_id: Mapped[int] = mapped_column(ForeignKey("intercoms.id", ondelete="CASCADE"), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(191), index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
