from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, TimestampMixin, UtcDateTime


class ResidentDevice(TimestampMixin, Base):
    """A phone or browser (X-UUID) a resident used the client API from: the devices a call rings
    and pushes go to."""

    __tablename__ = "resident_devices"
    __table_args__ = (UniqueConstraint("account_id", "uuid"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    uuid: Mapped[str] = mapped_column(String(191))
    client: Mapped[str] = mapped_column(String(32))  # X-Client: ios-cctv, android-cctv, thick-legal, web
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
