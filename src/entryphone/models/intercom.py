from __future__ import annotations

import uuid as uuid_module
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false, func, select, text
from sqlalchemy.orm import Mapped, column_property, mapped_column

from entryphone.db.base import Base, BigIntPK, JsonType, TimestampMixin, UtcDateTime
from entryphone.models.device_state import DeviceState


class Intercom(TimestampMixin, Base):
    """One intercom panel at one entrance. Holds the desired state; the supervisor reconciles devices."""

    __tablename__ = "intercoms"
    __table_args__ = (
        # A MAC (and a serial per vendor) identifies one live panel; deleted intercoms release theirs.
        Index(
            "uq_intercoms_mac_live",
            "mac",
            unique=True,
            sqlite_where=text("status != 'deleted'"),
            postgresql_where=text("status != 'deleted'"),
        ),
        Index(
            "uq_intercoms_vendor_serial_live",
            "vendor",
            "serial_number",
            unique=True,
            sqlite_where=text("status != 'deleted'"),
            postgresql_where=text("status != 'deleted'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid_module.uuid4()))
    external_id: Mapped[str | None] = mapped_column(String(191), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("intercom_groups.id", ondelete="RESTRICT"), index=True
    )
    camera_id: Mapped[int | None] = mapped_column(ForeignKey("cameras.id", ondelete="SET NULL"), index=True)

    status: Mapped[str] = mapped_column(String(32), default="empty", index=True)
    source: Mapped[str] = mapped_column(String(32), default="manual")
    vendor: Mapped[str] = mapped_column(String(32), index=True)
    model: Mapped[str | None] = mapped_column(String(64))
    serial_number: Mapped[str | None] = mapped_column(String(128))
    mac: Mapped[str | None] = mapped_column(String(17))  # normalised AA:BB:CC:DD:EE:FF

    flat_from: Mapped[int | None] = mapped_column(Integer)
    flat_to: Mapped[int | None] = mapped_column(Integer)
    flat_offset: Mapped[int | None] = mapped_column(Integer)
    department: Mapped[int | None] = mapped_column(Integer)
    department_name: Mapped[str | None] = mapped_column(String(255))
    department_type: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(512))

    collecting_keys: Mapped[bool] = mapped_column(Boolean, default=False)
    door_open_time_general: Mapped[int | None] = mapped_column(Integer)

    sip_server: Mapped[str | None] = mapped_column(String(255))
    sip_port: Mapped[int | None] = mapped_column(Integer)
    sip_login: Mapped[str | None] = mapped_column(String(255), index=True)  # Kamailio looks panels up by it
    sip_password_encrypted: Mapped[str | None] = mapped_column(Text)
    sip_options: Mapped[dict[str, Any] | None] = mapped_column(JsonType)

    switch: Mapped[str | None] = mapped_column(String(32))
    connection_type: Mapped[str | None] = mapped_column(String(32))
    commutators_count: Mapped[int | None] = mapped_column(Integer)
    is_crossbar_switchers_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    matrix: Mapped[list[Any] | None] = mapped_column(JsonType)

    # Device connection (vendor 2n and other drivers).
    schema: Mapped[str | None] = mapped_column(String(8))
    ip: Mapped[str | None] = mapped_column(String(255))
    port: Mapped[int | None] = mapped_column(Integer)
    login: Mapped[str | None] = mapped_column(String(255))
    password_encrypted: Mapped[str | None] = mapped_column(Text)
    tls_fingerprint: Mapped[str | None] = mapped_column(String(128))
    tls_allow_self_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the device told us when probed: firmware, model, capabilities, profile.
    device_info: Mapped[dict[str, Any] | None] = mapped_column(JsonType)

    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    # Volatile device state lives in device_states (the supervisor writes it); read here, in the
    # statement that loads the intercom, so replies show it without another query. Read-only: the
    # fleet repository writes it. Not expired by a flush of the intercom (nothing of it changes).
    is_online: Mapped[bool] = column_property(
        func.coalesce(
            select(DeviceState.is_online)
            .where(DeviceState.intercom_id == id)
            .correlate_except(DeviceState)
            .scalar_subquery(),
            false(),
        ),
        expire_on_flush=False,
    )
    last_seen_at: Mapped[datetime | None] = column_property(
        select(DeviceState.last_seen_at)
        .where(DeviceState.intercom_id == id)
        .correlate_except(DeviceState)
        .scalar_subquery(),
        expire_on_flush=False,
    )
