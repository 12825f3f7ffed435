from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, JsonType, TimestampMixin


class DeviceSchedule(TimestampMixin, Base):
    """Call processing of one intercom on one device (X-UUID) of one resident."""

    __tablename__ = "resident_device_schedules"
    __table_args__ = (UniqueConstraint("account_id", "intercom_id", "device_uuid"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    intercom_id: Mapped[int] = mapped_column(ForeignKey("intercoms.id", ondelete="CASCADE"), index=True)
    device_uuid: Mapped[str] = mapped_column(String(191))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # {"days": [{"type", "from", "to"}], "intervals": [{"from", "to"}]} in normalised wire form.
    timetable: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
