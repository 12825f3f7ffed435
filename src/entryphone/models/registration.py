from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, TimestampMixin, UtcDateTime


class IntercomRegistration(TimestampMixin, Base):
    """A resident's self-registration attempt: a short code typed on a panel, then a key touched."""

    __tablename__ = "intercom_registrations"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(8), index=True)
    # pending -> code_entered -> completed; or expired / failed (reason in `error`).
    status: Mapped[str] = mapped_column(String(16), index=True)
    intercom_id: Mapped[int | None] = mapped_column(ForeignKey("intercoms.id", ondelete="CASCADE"))
    device_uuid: Mapped[str | None] = mapped_column(String(191))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    error: Mapped[str | None] = mapped_column(String(64))
