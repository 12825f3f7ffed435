from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, UtcDateTime


class LoginThrottle(Base):
    """Login attempts per login name in the current window (cleared by a successful login), and the
    lock-out. Kept in the database so every API node sees the same count."""

    __tablename__ = "login_throttles"

    login: Mapped[str] = mapped_column(String(191), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
