from __future__ import annotations

import uuid as uuid_module
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, TimestampMixin, UtcDateTime


class Camera(TimestampMixin, Base):
    """The minimal camera registry: the intercom object embeds its camera."""

    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("intercom_groups.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(32), default="active")
    type: Mapped[str] = mapped_column(String(32), default="media_server_v2")
    # ONVIF credentials sent by billing: Fernet-encrypted JSON, never echoed.
    onvif_credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CameraStream(TimestampMixin, Base):
    __tablename__ = "camera_streams"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), index=True)
    uuid: Mapped[str] = mapped_column(String(36), default=lambda: str(uuid_module.uuid4()))
    type: Mapped[str] = mapped_column(String(16))  # low | high
    status: Mapped[str] = mapped_column(String(32), default="active")
    # Stream URLs often carry credentials (rtsp://user:pass@...): stored encrypted, shown to admins only.
    url_encrypted: Mapped[str] = mapped_column(Text)
    bitrate: Mapped[int | None] = mapped_column(Integer)
    resolution: Mapped[str | None] = mapped_column(String(32))
    output_rate: Mapped[int | None] = mapped_column(Integer)
