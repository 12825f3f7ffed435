from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, JsonType, TimestampMixin


class IntercomFlat(TimestampMixin, Base):
    """A flat reachable from one intercom (the platform's `intercom_flat` record; `{flat}` in paths)."""

    __tablename__ = "intercom_flats"
    __table_args__ = (UniqueConstraint("intercom_id", "flat"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    intercom_id: Mapped[int] = mapped_column(ForeignKey("intercoms.id", ondelete="CASCADE"), index=True)
    flat: Mapped[int] = mapped_column(Integer)
    is_smartphone_sip_line_available: Mapped[bool] = mapped_column(Boolean, default=True)
    is_landline_sip_line_available: Mapped[bool] = mapped_column(Boolean, default=False)
    is_analog_line_available: Mapped[bool] = mapped_column(Boolean, default=True)
    sip_number: Mapped[str | None] = mapped_column(String(64))
    landline_number: Mapped[str | None] = mapped_column(String(64))
    # Volumes and analog-line resistance thresholds (platform-endpoints.md 2.4).
    settings: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class FlatResident(TimestampMixin, Base):
    """A resident attached to a flat of an intercom, with what they may do there."""

    __tablename__ = "intercom_flat_users"
    __table_args__ = (UniqueConstraint("flat_id", "account_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    flat_id: Mapped[int] = mapped_column(ForeignKey("intercom_flats.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    # Who attached them: admin, billing or self (self-registration).
    source: Mapped[str] = mapped_column(String(16), default="admin")
    is_open_door_key: Mapped[bool] = mapped_column(Boolean, default=True)
    is_open_door_code: Mapped[bool] = mapped_column(Boolean, default=True)
    is_open_door_app: Mapped[bool] = mapped_column(Boolean, default=True)
    is_open_door_face: Mapped[bool] = mapped_column(Boolean, default=False)
    is_restricted_live: Mapped[bool] = mapped_column(Boolean, default=False)
    is_restricted_archive: Mapped[bool] = mapped_column(Boolean, default=False)
    landline_number: Mapped[str | None] = mapped_column(String(64))
