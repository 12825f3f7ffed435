from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, TimestampMixin


class ResidentIntercom(TimestampMixin, Base):
    """One resident's own view of one intercom: the title they gave it (the same on all their
    devices) and, for an intercom they registered themselves, the registration status."""

    __tablename__ = "resident_intercoms"
    __table_args__ = (UniqueConstraint("account_id", "intercom_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    intercom_id: Mapped[int] = mapped_column(ForeignKey("intercoms.id", ondelete="CASCADE"), index=True)
    title: Mapped[str | None] = mapped_column(String(255))
    # Self-registration: key_confirmed (key touched, no flat yet) -> confirmed (flat chosen).
    # None when the resident was attached by an admin or billing and only named the intercom.
    registration_status: Mapped[str | None] = mapped_column(String(32))
    flat_id: Mapped[int | None] = mapped_column(ForeignKey("intercom_flats.id", ondelete="SET NULL"))
    key_id: Mapped[int | None] = mapped_column(ForeignKey("intercom_keys.id", ondelete="SET NULL"))
