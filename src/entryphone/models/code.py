from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, TimestampMixin, UtcDateTime


class IntercomCode(TimestampMixin, Base):
    """A temporary door code for one flat of one intercom."""

    __tablename__ = "intercom_codes"
    __table_args__ = (UniqueConstraint("intercom_id", "code"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    intercom_id: Mapped[int] = mapped_column(ForeignKey("intercoms.id", ondelete="CASCADE"), index=True)
    flat_id: Mapped[int | None] = mapped_column(
        ForeignKey("intercom_flats.id", ondelete="CASCADE"), index=True
    )
    # The resident who created it from the client API (None when an admin did).
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    code: Mapped[str] = mapped_column(String(8))
    expired_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    will_deleted_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
