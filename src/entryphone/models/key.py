from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, TimestampMixin


class IntercomKey(TimestampMixin, Base):
    """An RFID / Touch-Memory key of one intercom: desired state pushed to the device."""

    __tablename__ = "intercom_keys"
    __table_args__ = (UniqueConstraint("intercom_id", "value"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    intercom_id: Mapped[int] = mapped_column(ForeignKey("intercoms.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(16))  # upper-case hex UID, 6..16 digits
    flat_id: Mapped[int | None] = mapped_column(
        ForeignKey("intercom_flats.id", ondelete="SET NULL"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    # main: the key a resident registered with (cannot be deleted from them); regular otherwise.
    type: Mapped[str] = mapped_column(String(16), default="regular")
    # admin, billing, collected (read on the device while collecting_keys), registration.
    source: Mapped[str] = mapped_column(String(16), default="admin")
