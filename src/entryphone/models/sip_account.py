from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, TimestampMixin, UtcDateTime


class SipAccount(TimestampMixin, Base):
    """The SIP account of one resident's phone (one X-UUID device), handed out by
    GET /api/v1/sip-account. It lives as long as the device, the resident and the bearer token that
    asked for it (revoking the token ends it); the password is Fernet-encrypted at rest."""

    __tablename__ = "sip_accounts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("resident_devices.id", ondelete="CASCADE"), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_encrypted: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
